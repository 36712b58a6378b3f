// The build-time listing (src/listing.ts) and the stdio front that serves it (src/front.ts):
// the listing is current and says what the MCP SDK would say, only shorter; the front hands
// everything else to the SDK's server in order, after replaying the client's initialize.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { PassThrough } from "node:stream";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { allTools } from "../tools/index.js";
import { writeOutputShape } from "../src/confirmation-gate.js";
import { StdioFront, REPLAY_ID } from "../src/front.js";
import { toolInputShape } from "../src/server.js";
import type { Backend } from "../src/front.js";
import { buildListing } from "../src/listing-build.js";
import { capabilitiesOf, listedTool } from "../src/listing.js";
import type { Listing } from "../src/listing.js";
import { ORG } from "../src/sandbox/data.js";
import { LATITUDE_SANDBOX_PROJECTS } from "../src/sandbox/latitude-data.js";
import { call, liveEnv, SERVER_ENTRY, startServer, startViamSandbox, textOf } from "./harness.js";
import type { ViamSandbox } from "./harness.js";

const BUILT = resolve(dirname(SERVER_ENTRY), "listing.json");
type Schema = { properties?: Record<string, { description?: string; type?: string | string[] }>; required?: string[] };

describe("the built listing", () => {
  let listing: Listing;
  beforeAll(async () => {
    listing = await buildListing();
  });

  it("is what the current tool definitions give (npm run build writes it)", () => {
    expect(JSON.parse(readFileSync(BUILT, "utf8"))).toEqual(JSON.parse(JSON.stringify(listing)));
  });

  it("keeps every field and its description, and drops only what says nothing", () => {
    for (const tool of allTools) {
      const listed = listing.tools.find((t) => t.name === tool.name)!;
      expect(listed.access).toBe(tool.access);
      const input = listed.listing.inputSchema as Schema;
      const shape = toolInputShape(tool);
      expect(Object.keys(input.properties ?? {})).toEqual(Object.keys(shape));
      for (const [field, schema] of Object.entries(input.properties ?? {})) expect(schema.description, `${tool.name}.${field}`).toBeTruthy();
      const required = Object.entries(shape).filter(([, s]) => !s.isOptional()).map(([k]) => k);
      expect(input.required ?? []).toEqual(required);
      const output = listed.listing.outputSchema as Schema;
      const outputShape = tool.access === "write" ? writeOutputShape(tool.output) : tool.output;
      expect(Object.keys(output.properties ?? {})).toEqual([...Object.keys(outputShape), "sandbox"]);
      const text = JSON.stringify(listed.listing);
      expect(text).not.toContain("$schema");
      expect(text).not.toContain("9007199254740991");
      expect(listed.listing.execution).toBeUndefined();
      // Every hint that means something for the tool is stated, never left to a client's
      // default; MCP defines destructiveHint and idempotentHint only for non-read-only tools.
      const hints = tool.access === "read" ? ["openWorldHint", "readOnlyHint"] : ["destructiveHint", "idempotentHint", "openWorldHint", "readOnlyHint"];
      expect(Object.keys(listed.listing.annotations ?? {}).sort(), tool.name).toEqual(hints);
      // Decimal bounds are the server's to check (its refusal names them); integer ones stay.
      for (const [field, schema] of Object.entries(input.properties ?? {})) {
        if (schema.type === "number") expect(schema, `${tool.name}.${field}`).not.toHaveProperty("maximum");
      }
    }
  });

  it("lists output schemas only when asked (BILLING_MCP_OUTPUT_SCHEMAS=true)", () => {
    const tool = listing.tools[0]!.listing;
    expect(listedTool(tool, true).outputSchema).toBeDefined();
    expect(listedTool(tool, false).outputSchema).toBeUndefined();
  });

  it("answers initialize as the SDK's server does", () => {
    expect(listing.serverInfo).toEqual({ name: "billing-mcp", version: expect.any(String) });
    expect(capabilitiesOf(listing, listing.tools).tools).toBeDefined();
    // Resources come with the PDF tool only (test/resources.test.ts checks it over stdio).
    const pdf = listing.tools.filter((t) => t.name === "viam_get_invoice_pdf");
    expect(capabilitiesOf(listing, pdf).resources).toBeDefined();
    expect(capabilitiesOf(listing, listing.tools.filter((t) => t.name === "viam_get_current_month_usage")).resources).toBeUndefined();
    expect(listing.supportedProtocolVersions).toContain(listing.latestProtocolVersion);
  });
});

describe("the stdio front, in-process", () => {
  const listing: Listing = {
    serverInfo: { name: "billing-mcp", version: "9" },
    capabilities: { tools: { listChanged: true } },
    latestProtocolVersion: "2025-11-25",
    supportedProtocolVersions: ["2025-11-25", "2025-06-18"],
    tools: [],
  };

  function harness() {
    const input = new PassThrough();
    const output = new PassThrough();
    const delivered: JSONRPCMessage[] = [];
    let release!: () => void;
    const loaded = new Promise<void>((resolve) => (release = resolve));
    let send!: (m: JSONRPCMessage) => void;
    let loads = 0;
    const backend: Backend = { deliver: (m) => void delivered.push(m), inFlight: 0, close: async () => true };
    const front = new StdioFront({
      listing,
      tools: [{ name: "t", inputSchema: { type: "object" } }],
      capabilities: listing.capabilities,
      instructions: "hello",
      logger: { log: () => undefined },
      input,
      output,
      preload: false,
      loadBackend: async (s) => {
        loads++;
        send = s;
        await loaded;
        return backend;
      },
    });
    front.start();
    let out = "";
    output.setEncoding("utf8");
    output.on("data", (d: string) => (out += d));
    const write = (m: object) => input.write(`${JSON.stringify(m)}\n`);
    const lines = async () => {
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      return out.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    };
    return { write, lines, delivered, release, loads: () => loads, send: (m: JSONRPCMessage) => send(m) };
  }

  it("answers initialize, tools/list and ping itself, without loading the backend", async () => {
    const h = harness();
    h.write({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "c", version: "1" } } });
    h.write({ jsonrpc: "2.0", method: "notifications/initialized" });
    h.write({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    h.write({ jsonrpc: "2.0", id: 3, method: "ping" });
    const [init, list, ping] = await h.lines();
    expect(init).toEqual({
      jsonrpc: "2.0",
      id: 1,
      result: { protocolVersion: "2025-06-18", capabilities: listing.capabilities, serverInfo: listing.serverInfo, instructions: "hello" },
    });
    expect(list).toEqual({ jsonrpc: "2.0", id: 2, result: { tools: [{ name: "t", inputSchema: { type: "object" } }] } });
    expect(ping).toEqual({ jsonrpc: "2.0", id: 3, result: {} });
    expect(h.loads()).toBe(0);
  });

  it("offers its latest protocol version to a client that asks for an unknown one", async () => {
    const h = harness();
    h.write({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "1999-01-01", capabilities: {}, clientInfo: { name: "c", version: "1" } } });
    const [init] = await h.lines();
    expect((init!.result as { protocolVersion: string }).protocolVersion).toBe("2025-11-25");
  });

  it("replays initialize to the backend, then hands over what came meanwhile, in order; drops the replay's answer", async () => {
    const h = harness();
    const initialize = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: { elicitation: {} }, clientInfo: { name: "c", version: "1" } } };
    h.write(initialize);
    h.write({ jsonrpc: "2.0", method: "notifications/initialized" });
    h.write({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "a" } });
    h.write({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "b" } });
    await h.lines();
    expect(h.loads()).toBe(1);
    expect(h.delivered).toEqual([]);
    h.release();
    await h.lines();
    expect(h.delivered).toEqual([
      { ...initialize, id: REPLAY_ID },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "a" } },
      { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "b" } },
    ]);
    h.send({ jsonrpc: "2.0", id: REPLAY_ID, result: {} } as JSONRPCMessage);
    h.send({ jsonrpc: "2.0", id: 2, result: { content: [] } } as JSONRPCMessage);
    h.write({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "c" } });
    const lines = await h.lines();
    expect(lines.map((l) => l.id)).toEqual([1, 2]);
    expect(h.delivered.at(-1)).toEqual({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "c" } });
  });
});

describe("the built server's listing over stdio", () => {
  let sandbox: ViamSandbox;
  beforeAll(async () => {
    sandbox = await startViamSandbox();
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it("lists the selected tools as the listing has them, output schemas only when asked, and every answer fits them", async () => {
    const built = JSON.parse(readFileSync(BUILT, "utf8")) as Listing;
    const readers = built.tools.filter((t) => t.access === "read").map((t) => t.listing);
    const lean = await startServer(liveEnv(sandbox));
    try {
      const { tools } = await lean.client.listTools();
      expect(tools).toEqual(readers.map(({ outputSchema: _outputSchema, ...rest }) => rest));
    } finally {
      await lean.close();
    }
    const server = await startServer(liveEnv(sandbox, { BILLING_MCP_OUTPUT_SCHEMAS: "true" }));
    try {
      const { tools } = await server.client.listTools();
      expect(tools).toEqual(readers);
      // The SDK's Client checks each structuredContent against the listed output schema.
      const invoices = await call(server.client, "viam_get_invoices_summary", { org_id: ORG.acme, limit: 1 });
      const [newest] = (invoices.structuredContent as { invoices: { id: string }[] }).invoices;
      const args: Record<string, Record<string, unknown>> = {
        viam_get_invoice_pdf: { org_id: ORG.acme, invoice_id: newest!.id },
        viam_get_location_billing_organization: { location_id: "loc-warehouse" },
        viam_get_available_billing_tiers: {},
        viam_list_organizations: {},
        latitude_get_billing_usage: { project: LATITUDE_SANDBOX_PROJECTS[0]!.id },
        billing_spend_overview: { org_ids: [ORG.acme] },
      };
      for (const tool of allTools.filter((t) => t.access === "read")) {
        const result = await call(server.client, tool.name, args[tool.name] ?? { org_id: ORG.acme });
        expect(result.isError, `${tool.name}: ${textOf(result)}`).toBeFalsy();
        const schema = z.object({ ...tool.output, sandbox: z.boolean() }).strict();
        expect(schema.safeParse(result.structuredContent).success, tool.name).toBe(true);
      }
    } finally {
      await server.close();
    }
  });

  it("applies --tools before listing", async () => {
    const server = await startServer(liveEnv(sandbox), ["--tools", "viam_get_invoices_summary,viam_get_current_month_usage"]);
    try {
      const { tools } = await server.client.listTools();
      expect(tools.map((t) => t.name)).toEqual(["viam_get_current_month_usage", "viam_get_invoices_summary"]);
      // Output schemas are listed only on request (src/listing.ts: listedTool).
      expect(tools.every((t) => t.outputSchema === undefined)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
