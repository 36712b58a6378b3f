// What tools/list says, now that the MCP SDK answers every message: every field with its
// description, nothing that costs tokens and says nothing, every hint stated, an output schema
// on every tool that each answer fits; --tools applies before listing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { allTools } from "../tools/index.js";
import { writeOutputShape } from "../src/writes/confirmation-gate.js";
import { toolInputShape } from "../src/mcp/server.js";
import { compactInputSchema } from "../src/mcp/listed-schema.js";
import { ORG } from "../src/sandbox/data.js";
import { LATITUDE_SANDBOX_PROJECTS } from "../src/sandbox/latitude-data.js";
import { call, liveEnv, startViamSandbox, textOf } from "./harness.js";
import type { ViamSandbox } from "./harness.js";
import { startInProcess } from "./in-process.js";
import type { InProcessServer } from "./in-process.js";

type Schema = { properties?: Record<string, { description?: string; type?: string | string[] }>; required?: string[] };

let sandbox: ViamSandbox;
let server: InProcessServer;
beforeAll(async () => {
  sandbox = await startViamSandbox();
  server = await startInProcess(liveEnv(sandbox), ["--allow-writes"]);
});
afterAll(async () => {
  await server?.close();
  await sandbox?.close();
});

describe("tools/list", () => {
  it("keeps every field and its description, and drops only what says nothing", async () => {
    const { tools } = await server.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(allTools.map((t) => t.name).sort());
    for (const tool of allTools) {
      const listed = tools.find((t) => t.name === tool.name)!;
      const input = listed.inputSchema as Schema;
      const shape = toolInputShape(tool);
      expect(Object.keys(input.properties ?? {})).toEqual(Object.keys(shape));
      for (const [field, schema] of Object.entries(input.properties ?? {})) expect(schema.description, `${tool.name}.${field}`).toBeTruthy();
      const required = Object.entries(shape).filter(([, s]) => !s.isOptional()).map(([k]) => k);
      expect(input.required ?? []).toEqual(required);
      const inputText = JSON.stringify(listed.inputSchema);
      expect(inputText).not.toContain("$schema");
      expect(inputText).not.toContain("9007199254740991");
      expect(listed.execution).toBeUndefined();
      // Every hint that means something for the tool is stated, never left to a client's
      // default; MCP defines destructiveHint and idempotentHint only for non-read-only tools.
      const hints = tool.access === "read" ? ["openWorldHint", "readOnlyHint"] : ["destructiveHint", "idempotentHint", "openWorldHint", "readOnlyHint"];
      expect(Object.keys(listed.annotations ?? {}).sort(), tool.name).toEqual(hints);
      expect(listed.annotations?.readOnlyHint).toBe(tool.access === "read");
      // Decimal bounds are the server's to check (its refusal names them); integer ones stay.
      for (const [field, schema] of Object.entries(input.properties ?? {})) {
        if (schema.type === "number") expect(schema, `${tool.name}.${field}`).not.toHaveProperty("maximum");
      }
    }
  });

  it("lists an output schema on every tool, with every field plus sandbox, and every read answer fits it", async () => {
    const { tools } = await server.client.listTools();
    for (const tool of allTools) {
      const output = tools.find((t) => t.name === tool.name)!.outputSchema as Schema | undefined;
      const shape = tool.access === "write" ? writeOutputShape(tool.output) : tool.output;
      expect(Object.keys(output?.properties ?? {}), tool.name).toEqual([...Object.keys(shape), "sandbox"]);
      expect(output?.required).toContain("sandbox");
    }
    // The SDK's Client also checks each structuredContent against the listed output schema.
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
  });

  it("applies --tools before listing, and lists no stub of a write tool then", async () => {
    const selected = await startInProcess(liveEnv(sandbox), ["--tools", "viam_get_invoices_summary,viam_get_current_month_usage"]);
    try {
      const { tools } = await selected.client.listTools();
      expect(tools.map((t) => t.name)).toEqual(["viam_get_current_month_usage", "viam_get_invoices_summary"]);
      expect(tools.every((t) => t.outputSchema !== undefined)).toBe(true);
    } finally {
      await selected.close();
    }
  });

  it("converts each schema to JSON Schema once, and gives every tools/list its own copy", async () => {
    const first = await server.client.listTools();
    const second = await server.client.listTools();
    expect(second.tools).toEqual(first.tools);
    // Changing one answer's schema (as a client may) changes neither the next answer nor the server.
    (first.tools[0]!.inputSchema as { properties: Record<string, unknown> }).properties.injected = { type: "string" };
    expect((await server.client.listTools()).tools).toEqual(second.tools);

    let conversions = 0;
    const base = z.object({ org_id: z.string().max(64).describe("Organization.") });
    const std = base["~standard"] as unknown as { jsonSchema: { input: (o: unknown) => Record<string, unknown> } };
    const counted = { "~standard": { ...std, jsonSchema: { ...std.jsonSchema, input: (o: unknown) => (conversions++, std.jsonSchema.input(o)) } } };
    const listed = compactInputSchema(counted as unknown as typeof base);
    const a = listed["~standard"].jsonSchema.input({ target: "draft-2020-12" });
    const b = listed["~standard"].jsonSchema.input({ target: "draft-2020-12" });
    expect(conversions).toBe(1);
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
    expect(a).toEqual({ type: "object", properties: { org_id: { type: "string", description: "Organization." } }, required: ["org_id"] });
    listed["~standard"].jsonSchema.input({ target: "draft-07" });
    expect(conversions).toBe(2);
  });
});
