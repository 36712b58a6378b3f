// One stdio process serves both protocol generations, and the defects of the hand-written stdio
// front it had are gone now that the MCP SDK answers every message: the prompts capability is
// declared, every request id is answered, and a huge line closes the connection in bounded time
// and memory instead of being buffered without limit.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport as V1StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema as V1ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES } from "../src/mcp/stdio-wire.js";
import { ORG } from "../src/sandbox/data.js";
import { clockEnv } from "./clock.js";
import { call, liveEnv, MODERN_REVISION, SERVER_ENTRY, startServer, startViamSandbox, textOf } from "./harness.js";
import type { RunningServer, ViamSandbox } from "./harness.js";

type ToolResult = { isError?: boolean; content: { type: string; text?: string }[]; structuredContent?: Record<string, unknown> };
/** What each generation's client is asked to do, through one interface. */
interface Session {
  listTools(): Promise<{ tools: { name: string }[] }>;
  callTool(name: string, args: Record<string, unknown>): Promise<ToolResult>;
  listPrompts(): Promise<{ prompts: { name: string }[] }>;
  getPrompt(name: string, args: Record<string, string>): Promise<{ messages: { content: { type: string; text?: string } }[] }>;
  capabilities(): Record<string, unknown> | undefined;
  close(): Promise<void>;
}

let sandbox: ViamSandbox;
beforeAll(async () => {
  sandbox = await startViamSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

const env = () => ({ ...liveEnv(sandbox), ...clockEnv() });

/** The v1 SDK's client (1.32): speaks 2025-11-25 at most, opens with initialize. */
async function v1Session(args: string[] = []): Promise<Session> {
  const transport = new V1StdioClientTransport({ command: process.execPath, args: [SERVER_ENTRY, ...args], env: { PATH: process.env.PATH ?? "", HOME: mkdtempSync(join(tmpdir(), "billing-mcp-v1-")), ...env() }, stderr: "pipe" });
  const client = new V1Client({ name: "v1-client", version: "1.32" });
  await client.connect(transport);
  return {
    listTools: () => client.listTools(),
    callTool: async (name, a) => (await client.callTool({ name, arguments: a })) as ToolResult,
    listPrompts: () => client.listPrompts(),
    getPrompt: async (name, a) => (await client.getPrompt({ name, arguments: a })) as never,
    capabilities: () => client.getServerCapabilities() as Record<string, unknown> | undefined,
    close: () => client.close(),
  };
}

/** The v2 SDK's client pinned to 2026-07-28: server/discover, then per-request metadata, no initialize. */
async function v2ModernSession(args: string[] = []): Promise<Session & { server: RunningServer }> {
  const server = await startServer(liveEnv(sandbox), args, {}, "2026");
  const client = server.client;
  return {
    server,
    listTools: () => client.listTools(),
    callTool: (name, a) => call(client, name, a),
    listPrompts: () => client.listPrompts(),
    getPrompt: async (name, a) => (await client.getPrompt({ name, arguments: a })) as never,
    capabilities: () => client.getServerCapabilities() as Record<string, unknown> | undefined,
    close: () => server.close(),
  };
}

describe.each([
  ["a 2025-11-25 client (the v1 SDK's, initialize)", () => v1Session()],
  [`a ${MODERN_REVISION} client (the v2 SDK's, server/discover)`, () => v2ModernSession()],
])("%s", (_label, open) => {
  let session: Session;
  beforeAll(async () => {
    session = await open();
  });
  afterAll(() => session?.close());

  it("sees tools, resources and prompts declared, and lists the tools", async () => {
    const capabilities = session.capabilities();
    expect(capabilities).toHaveProperty("tools");
    expect(capabilities).toHaveProperty("prompts");
    expect(capabilities).toHaveProperty("resources");
    const names = (await session.listTools()).tools.map((t) => t.name);
    expect(names).toContain("viam_get_current_month_usage");
    expect(names).toContain("viam_get_available_billing_tiers");
  });

  it("calls two tools", async () => {
    const tiers = await session.callTool("viam_get_available_billing_tiers", {});
    expect(tiers.isError, JSON.stringify(tiers.content)).toBeFalsy();
    expect(tiers.structuredContent?.tiers).toEqual(expect.arrayContaining(["free"]));
    const usage = await session.callTool("viam_get_current_month_usage", { org_id: ORG.acme });
    expect(usage.isError, JSON.stringify(usage.content)).toBeFalsy();
    expect(usage.structuredContent).toMatchObject({ org_id: ORG.acme });
  });

  it("lists and gets a prompt", async () => {
    const names = (await session.listPrompts()).prompts.map((p) => p.name);
    expect(names).toEqual(["monthly_billing_review", "unpaid_invoices_follow_up"]);
    const prompt = await session.getPrompt("monthly_billing_review", { org_id: ORG.acme });
    expect(prompt.messages[0]?.content.text).toContain(`organization ${ORG.acme}`);
  });

  it("gets a tool error naming the tool's fields for a bad argument", async () => {
    const bad = await session.callTool("viam_get_current_month_usage", { org: ORG.acme });
    expect(bad.isError).toBe(true);
    expect(bad.content.map((c) => c.text).join("\n")).toMatch(/unknown argument "org": viam_get_current_month_usage takes org_id, timeout/);
  });
});

const CONFIRM_CHARGE = { org_id_to_charge: ORG.acme, subtotal: 10, tax: 2.5 };
const auditTrail = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { outcome: string; via?: string; confirmation?: string; arguments: { description?: string } });
const tempAudit = () => join(mkdtempSync(join(tmpdir(), "billing-mcp-audit-")), "audit.jsonl");

describe("the confirmation flow, in both generations, with clients that can show a form", () => {
  /** A 2026-07-28 client declaring elicitation: it answers the question the first round returns (input_required) and the SDK retries the call. */
  async function modernAsking(answer: { action: "accept" | "decline"; content?: { confirm: boolean } }, audit: string) {
    const server = await startServer(liveEnv(sandbox, { BILLING_MCP_AUDIT_LOG: audit }), ["--allow-writes"], { elicitation: { form: {} } }, "2026");
    const asked: string[] = [];
    server.client.setRequestHandler("elicitation/create", (request) => {
      asked.push(request.params.message);
      return answer;
    });
    return { server, asked };
  }

  it(`${MODERN_REVISION}: asks through input_required and charges once the person accepts, in one callTool`, async () => {
    const audit = tempAudit();
    const { server, asked } = await modernAsking({ action: "accept", content: { confirm: true } }, audit);
    try {
      const before = sandbox.calls.get("ChargeOrganization") ?? 0;
      const done = await call(server.client, "viam_charge_organization", { ...CONFIRM_CHARGE, description: "modern, accepted" });
      expect(done.isError, textOf(done)).toBeFalsy();
      expect(done.structuredContent?.status).toBe("executed");
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatch(/org-acme 12\.50 USD/);
      expect(sandbox.calls.get("ChargeOrganization") ?? 0).toBe(before + 1);
      const trail = auditTrail(audit);
      expect(trail.map((l) => [l.outcome, l.via])).toEqual([
        ["previewed", "elicitation"],
        ["attempt", "elicitation"],
        ["executed", "elicitation"],
      ]);
      // The question and the answer are tied by the state the client echoed (its fingerprint).
      expect(new Set(trail.map((l) => l.confirmation)).size).toBe(1);
      expect(trail[0]?.confirmation).toMatch(/^sha256:/);
    } finally {
      await server.close();
    }
  });

  it(`${MODERN_REVISION}: a declined question charges nothing and answers declined`, async () => {
    const audit = tempAudit();
    const { server, asked } = await modernAsking({ action: "decline" }, audit);
    try {
      const before = sandbox.calls.get("ChargeOrganization") ?? 0;
      const declined = await call(server.client, "viam_charge_organization", { ...CONFIRM_CHARGE, description: "modern, declined" });
      expect(declined.isError, textOf(declined)).toBeFalsy();
      expect(declined.structuredContent?.status).toBe("declined");
      expect(asked).toHaveLength(1);
      expect(sandbox.calls.get("ChargeOrganization") ?? 0).toBe(before);
      expect(auditTrail(audit).map((l) => [l.outcome, l.via])).toEqual([
        ["previewed", "elicitation"],
        ["declined", "elicitation"],
      ]);
    } finally {
      await server.close();
    }
  });

  it(`${MODERN_REVISION}: a retry whose arguments differ from the question's is refused (the state binds them)`, async () => {
    const audit = tempAudit();
    const server = await startServer(liveEnv(sandbox, { BILLING_MCP_AUDIT_LOG: audit }), ["--allow-writes"], { elicitation: { form: {} } }, "2026");
    try {
      const before = sandbox.calls.get("ChargeOrganization") ?? 0;
      const asked = { ...CONFIRM_CHARGE, description: "modern, altered" };
      const first = (await server.client.callTool({ name: "viam_charge_organization", arguments: asked }, { allowInputRequired: true })) as unknown as {
        resultType?: string;
        requestState?: string;
        inputRequests?: Record<string, { method: string }>;
      };
      expect(first.resultType).toBe("input_required");
      expect(first.inputRequests?.confirm?.method).toBe("elicitation/create");
      const accept = { confirm: { action: "accept", content: { confirm: true } } };
      const altered = await server.client.callTool({ name: "viam_charge_organization", arguments: { ...asked, subtotal: 900 }, inputResponses: accept, requestState: first.requestState } as never);
      expect(altered.isError).toBe(true);
      expect(textOf(altered)).toMatch(/^Refused: this confirmation_token was issued for different arguments/);
      const forged = await server.client.callTool({ name: "viam_charge_organization", arguments: asked, inputResponses: accept, requestState: "forged" } as never);
      expect(textOf(forged)).toMatch(/^Refused: this confirmation_token was not issued by this server process/);
      expect(sandbox.calls.get("ChargeOrganization") ?? 0).toBe(before);
    } finally {
      await server.close();
    }
  });

  it("2025-11-25 (the v1 SDK's client): the server pushes elicitation/create within the call", async () => {
    const audit = tempAudit();
    const transport = new V1StdioClientTransport({
      command: process.execPath,
      args: [SERVER_ENTRY, "--allow-writes"],
      env: { PATH: process.env.PATH ?? "", HOME: mkdtempSync(join(tmpdir(), "billing-mcp-v1-")), BILLING_MCP_AUDIT_LOG: audit, ...env() },
      stderr: "pipe",
    });
    const client = new V1Client({ name: "v1-client", version: "1.32" }, { capabilities: { elicitation: {} } });
    const asked: string[] = [];
    client.setRequestHandler(V1ElicitRequestSchema, (request) => {
      asked.push(request.params.message);
      return { action: "accept", content: { confirm: true } };
    });
    await client.connect(transport);
    try {
      const done = (await client.callTool({ name: "viam_charge_organization", arguments: { ...CONFIRM_CHARGE, description: "v1, accepted" } })) as { structuredContent?: { status?: string } };
      expect(done.structuredContent?.status).toBe("executed");
      expect(asked).toHaveLength(1);
      expect(auditTrail(audit).map((l) => [l.outcome, l.via])).toEqual([
        ["previewed", "elicitation"],
        ["attempt", "elicitation"],
        ["executed", "elicitation"],
      ]);
    } finally {
      await client.close();
    }
  });
});

describe(`a ${MODERN_REVISION} client and MCP logging`, () => {
  it("gets a call's log messages at the level its request's envelope names, and none without one", async () => {
    const server = await startServer(liveEnv(sandbox), [], {}, "2026");
    const messages: { level: string; data: unknown }[] = [];
    server.client.setNotificationHandler("notifications/message", (n) => void messages.push(n.params));
    try {
      sandbox.faults.unavailableNext = 1;
      expect((await call(server.client, "viam_get_available_billing_tiers")).isError).toBeFalsy();
      expect(messages).toEqual([]);
      sandbox.faults.unavailableNext = 1;
      const logged = await server.client.callTool({ name: "viam_get_available_billing_tiers", arguments: {}, _meta: { "io.modelcontextprotocol/logLevel": "debug" } });
      expect(logged.isError).toBeFalsy();
      await expect.poll(() => messages.filter((m) => String(m.data).includes("retrying")).length).toBe(1);
      expect(messages.find((m) => String(m.data).includes("retrying"))).toMatchObject({ level: "debug", logger: "billing-mcp" });
    } finally {
      await server.close();
    }
  });
});

describe(`a ${MODERN_REVISION} client and writes`, () => {
  it("confirms a charge with the preview's token (the server cannot push an elicitation request to it)", async () => {
    const session = await v2ModernSession(["--allow-writes"]);
    try {
      const charge = { org_id_to_charge: ORG.acme, subtotal: 10, tax: 2.5, description: "protocol test" };
      const preview = await session.callTool("viam_charge_organization", charge);
      expect(preview.isError, JSON.stringify(preview.content)).toBeFalsy();
      expect(preview.structuredContent?.status).toBe("preview");
      const token = preview.structuredContent?.confirmation_token as string;
      const done = await session.callTool("viam_charge_organization", { ...charge, confirm: true, confirmation_token: token });
      expect(done.isError, textOf(done as never)).toBeFalsy();
      expect(done.structuredContent?.status).toBe("executed");
    } finally {
      await session.close();
    }
  });
});

/** A server process driven with raw bytes; its stdout parsed as lines. */
function rawServer() {
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    env: { PATH: process.env.PATH ?? "", HOME: mkdtempSync(join(tmpdir(), "billing-mcp-raw-")), ...clockEnv() },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  child.stdin.on("error", () => undefined); // EPIPE once the server has closed the connection
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const answers = () => out.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { id?: unknown; result?: unknown; error?: unknown });
  const answered = async (id: unknown, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = answers().find((a) => a.id === id);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    return undefined;
  };
  const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`);
  return { child, send, answered, exited, stderr: () => err };
}

const INITIALIZE = { jsonrpc: "2.0", method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "0" } } };

describe("the stdio front's defects, gone", () => {
  it("answers a request whose id is billing-mcp:replayed-initialize", async () => {
    const s = rawServer();
    try {
      s.send({ ...INITIALIZE, id: "billing-mcp:replayed-initialize" });
      const init = await s.answered("billing-mcp:replayed-initialize");
      expect(init?.result).toMatchObject({ serverInfo: { name: "billing-mcp" }, capabilities: { prompts: {} } });
      s.send({ jsonrpc: "2.0", method: "notifications/initialized" });
      s.send({ jsonrpc: "2.0", id: "billing-mcp:replayed-initialize", method: "ping" });
      // The same id again, now for a ping: answered too (ids are the client's to choose).
      await expect.poll(() => s.answered("billing-mcp:replayed-initialize").then(() => s.child.exitCode)).toBeNull();
    } finally {
      s.child.stdin.end();
      await s.exited;
    }
  });

  /** Peak RSS (VmHWM) of a process, in KiB. */
  const peakKib = (pid: number) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);

  it(`closes the connection on a line over ${MAX_MESSAGE_BYTES / 1048576} MB (64 MB sent without a newline), in bounded time and memory`, async () => {
    const s = rawServer();
    s.send({ ...INITIALIZE, id: 1 });
    expect(await s.answered(1)).toBeDefined();
    const idle = peakKib(s.child.pid!);
    let peak = idle;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, peakKib(s.child.pid!));
      } catch {
        // exited
      }
    }, 5);
    const started = Date.now();
    const chunk = Buffer.alloc(1024 * 1024, "x");
    for (let i = 0; i < 64 && s.child.exitCode === null; i++) {
      if (!s.child.stdin.write(chunk)) await new Promise((r) => (s.child.stdin.once("drain", r), s.child.once("exit", r)));
    }
    const code = await s.exited;
    const took = Date.now() - started;
    clearInterval(sampler);
    console.info(`64 MB line without newline: connection closed after ${took} ms, peak RSS ${((peak - idle) / 1024).toFixed(1)} MiB above idle`);
    expect(code).toBe(0);
    expect(took).toBeLessThan(10_000);
    // Bounded by the 2 MiB cap, not by the line: the SDK's read buffer copies itself on every
    // chunk (Buffer.concat), so the garbage of those copies shows up too. A bound against
    // regressions (no cap: 787 MiB for a 151 MB line), not issue 16's 64 MiB target, which
    // `npm run bench` measures (docs/performance.md).
    expect(peak - idle).toBeLessThan(96 * 1024);
    expect(s.stderr()).toMatch(new RegExp(`exceeded maximum size of ${MAX_MESSAGE_BYTES} bytes`));
  });

  it("serves a 1 MB line (under the limit) and answers a ping after it", async () => {
    const s = rawServer();
    try {
      s.send({ ...INITIALIZE, id: 1 });
      expect(await s.answered(1)).toBeDefined();
      s.send({ jsonrpc: "2.0", method: "notifications/initialized" });
      const started = Date.now();
      s.send({ jsonrpc: "2.0", id: 2, method: "ping", params: { _meta: { padding: "x".repeat(1024 * 1024) } } });
      s.send({ jsonrpc: "2.0", id: 3, method: "ping" });
      expect((await s.answered(2))?.result).toEqual({});
      expect((await s.answered(3))?.result).toEqual({});
      console.info(`1 MB line then a ping: answered in ${Date.now() - started} ms`);
    } finally {
      s.child.stdin.end();
      await s.exited;
    }
  });
});
