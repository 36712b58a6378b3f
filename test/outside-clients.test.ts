// MCP clients other than our own SDK's, each driving the built server over stdio against the
// embedded sandbox the way an application does with it: list the tools, call two, list and get
// a prompt, make one bad-argument call. They are devDependencies, so CI needs only npm.
// The Vercel AI SDK client, Mastra and the MCP Inspector declare Node >= 22; they run here on
// Node 20 all the same (see docs/clients.md). A client that could not would be skipped with
// the exact error, in one line.
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { createMCPClient } from "@ai-sdk/mcp";
import { Experimental_StdioMCPTransport } from "@ai-sdk/mcp/mcp-stdio";
import { MultiServerMCPClient } from "@langchain/mcp-adapters";
import { MCPClient as MastraMCPClient } from "@mastra/mcp";
import { describe, expect, it } from "vitest";
import { ORG } from "../src/sandbox/data.js";
import { clockEnv } from "./clock.js";
import { SERVER_ENTRY } from "./harness.js";

/** The server as a client configuration launches it: node on the built CLI, the embedded sandbox (no credentials). */
const serverEnv = () => ({ PATH: process.env.PATH ?? "", HOME: mkdtempSync(join(tmpdir(), "billing-mcp-outside-")), BILLING_MCP_LOG_LEVEL: "warning", ...clockEnv() });
const USAGE = "viam_get_current_month_usage";
const TIERS = "viam_get_available_billing_tiers";
const PROMPT = "monthly_billing_review";
const BAD_ARGUMENT = /unknown argument "org": viam_get_current_month_usage takes org_id, timeout/;

type Content = { type: string; text?: string }[];
const text = (content: unknown) => ((content ?? []) as Content).map((c) => c.text ?? "").join("\n");

describe("the Vercel AI SDK's MCP client (@ai-sdk/mcp)", () => {
  it("lists tools, calls two, lists and gets a prompt, and gets a tool error for a bad argument", { timeout: 60_000 }, async () => {
    const client = await createMCPClient({ transport: new Experimental_StdioMCPTransport({ command: process.execPath, args: [SERVER_ENTRY], env: serverEnv() }) });
    try {
      // It probes server/discover first and falls back to initialize; either way the prompts
      // capability must be seen, or its listPrompts throws "Server does not support prompts".
      expect(client.initializeResult.protocolVersion).toBe("2026-07-28");
      expect(client.initializeResult.capabilities).toHaveProperty("prompts");
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining([USAGE, TIERS]));
      // What an application hands to a model: the AI SDK's tool set, from the same listing.
      const toolSet = await client.tools();
      expect(Object.keys(toolSet)).toEqual(expect.arrayContaining([USAGE, TIERS]));

      const tiers = await client.callTool({ name: TIERS, arguments: {} });
      expect(tiers.isError, text(tiers.content)).toBeFalsy();
      expect((tiers.structuredContent as { tiers?: string[] }).tiers).toEqual(expect.arrayContaining(["free"]));
      const usage = await client.callTool({ name: USAGE, arguments: { org_id: ORG.acme } });
      expect(usage.isError, text(usage.content)).toBeFalsy();
      expect(usage.structuredContent).toMatchObject({ org_id: ORG.acme });

      const { prompts } = await client.listPrompts();
      expect(prompts.map((p) => p.name)).toContain(PROMPT);
      const prompt = await client.getPrompt({ name: PROMPT, arguments: { org_id: ORG.acme } });
      expect(text(prompt.messages.map((m) => m.content))).toContain(`organization ${ORG.acme}`);

      const bad = await client.callTool({ name: USAGE, arguments: { org: ORG.acme } });
      expect(bad.isError).toBe(true);
      expect(text(bad.content)).toMatch(BAD_ARGUMENT);
    } finally {
      await client.close();
    }
  });
});

describe("LangChain's MCP adapters (@langchain/mcp-adapters)", () => {
  it("lists tools, calls two, lists and gets a prompt, and gets a tool error for a bad argument", { timeout: 60_000 }, async () => {
    const client = new MultiServerMCPClient({
      mcpServers: { billing: { transport: "stdio", command: process.execPath, args: [SERVER_ENTRY], env: serverEnv() } },
      // The adapter's default turns a tool error into a thrown ToolException; an agent loop
      // passes the message to the model instead, which is what is checked here.
      throwOnLoadError: true,
    });
    try {
      const tools = await client.getTools();
      const byName = new Map(tools.map((t) => [t.name, t]));
      expect([...byName.keys()]).toEqual(expect.arrayContaining([USAGE, TIERS]));

      const tiers = await byName.get(TIERS)!.invoke({});
      expect(JSON.stringify(tiers)).toMatch(/free/);
      const usage = await byName.get(USAGE)!.invoke({ org_id: ORG.acme });
      expect(JSON.stringify(usage)).toContain(ORG.acme);

      // The adapters turn tools into LangChain tools; prompts go through the MCP client they hold.
      const mcp = await client.getClient("billing");
      expect(mcp?.getServerCapabilities()).toHaveProperty("prompts");
      const { prompts } = await mcp!.listPrompts();
      expect(prompts.map((p) => p.name)).toContain(PROMPT);
      const prompt = await mcp!.getPrompt({ name: PROMPT, arguments: { org_id: ORG.acme } });
      expect(text(prompt.messages.map((m) => m.content))).toContain(`organization ${ORG.acme}`);

      // The LangChain tool validates against the listed input schema before the call is sent:
      // an unknown argument is refused there (the schema is strict: additionalProperties false).
      const bad = await byName
        .get(USAGE)!
        .invoke({ org: ORG.acme })
        .then((r: unknown) => JSON.stringify(r), (err: unknown) => String(err));
      expect(bad).toMatch(/Received tool input did not match expected schema/);
      // Sent anyway, through the client it holds, it gets the server's tool error.
      const sent = await mcp!.callTool({ name: USAGE, arguments: { org: ORG.acme } });
      expect(sent.isError).toBe(true);
      expect(text(sent.content)).toMatch(BAD_ARGUMENT);
    } finally {
      await client.close();
    }
  });
});

describe("Mastra's MCP client (@mastra/mcp)", () => {
  it("lists tools, calls two, lists and gets a prompt, and gets a tool error for a bad argument", { timeout: 60_000 }, async () => {
    const client = new MastraMCPClient({ id: `billing-${process.pid}`, servers: { billing: { command: process.execPath, args: [SERVER_ENTRY], env: serverEnv(), enableServerLogs: false } } });
    try {
      const toolsets = await client.listToolsets();
      // It probes server/discover and speaks the newest generation the server offers.
      expect(client.getServerProtocolVersions().billing).toBe("2026-07-28");
      const tools = toolsets.billing ?? {};
      expect(Object.keys(tools)).toEqual(expect.arrayContaining([USAGE, TIERS]));
      const run = (name: string, input: Record<string, unknown>) => tools[name]!.execute!(input as never, {} as never) as Promise<unknown>;

      expect(JSON.stringify(await run(TIERS, {}))).toMatch(/free/);
      expect(JSON.stringify(await run(USAGE, { org_id: ORG.acme }))).toContain(ORG.acme);

      const prompts = await client.prompts.list();
      expect((prompts.billing ?? []).map((p) => p.name)).toContain(PROMPT);
      const prompt = await client.prompts.get({ serverName: "billing", name: PROMPT, args: { org_id: ORG.acme } });
      expect(text(prompt.messages.map((m) => m.content))).toContain(`organization ${ORG.acme}`);

      // Mastra validates against the listed input schema before sending, and returns the
      // failure to the model as the tool's result (the schema's additionalProperties: false).
      const bad = await run(USAGE, { org: ORG.acme }).then((r) => JSON.stringify(r), (err: unknown) => String(err));
      expect(bad).toMatch(/Tool input validation failed for billing_viam_get_current_month_usage.*must NOT have additional properties/);
    } finally {
      await client.disconnect();
    }
  });
});

describe("the MCP Inspector's CLI (@modelcontextprotocol/inspector --cli)", () => {
  // Its launcher from the installed package: what `npx @modelcontextprotocol/inspector` runs.
  const require = createRequire(import.meta.url);
  const launcher = resolve(dirname(require.resolve("@modelcontextprotocol/inspector/package.json")), "clients/launcher/build/index.js");
  const inspect = async (...args: string[]) => {
    const env = Object.entries(serverEnv()).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    const { stdout } = await promisify(execFile)(process.execPath, [launcher, "--cli", ...env, process.execPath, SERVER_ENTRY, ...args], { timeout: 60_000, env: { ...process.env, HOME: serverEnv().HOME } }).catch(
      (err: { stdout?: string; stderr?: string; code?: number }) => ({ stdout: err.stdout ?? "", stderr: err.stderr, code: err.code }) as { stdout: string },
    );
    return JSON.parse(stdout) as Record<string, unknown>;
  };

  it("lists tools, calls two, lists and gets a prompt, and gets a tool error for a bad argument", { timeout: 180_000 }, async () => {
    const [tools, tiers, usage, prompts, prompt, bad] = await Promise.all([
      inspect("--method", "tools/list"),
      inspect("--method", "tools/call", "--tool-name", TIERS),
      inspect("--method", "tools/call", "--tool-name", USAGE, "--tool-arg", `org_id=${ORG.acme}`),
      inspect("--method", "prompts/list"),
      inspect("--method", "prompts/get", "--prompt-name", PROMPT, "--prompt-args", `org_id=${ORG.acme}`),
      inspect("--method", "tools/call", "--tool-name", USAGE, "--tool-arg", `org=${ORG.acme}`),
    ]);
    expect((tools.tools as { name: string }[]).map((t) => t.name)).toEqual(expect.arrayContaining([USAGE, TIERS]));
    expect(tiers.isError).toBeFalsy();
    expect((tiers.structuredContent as { tiers?: string[] }).tiers).toEqual(expect.arrayContaining(["free"]));
    expect(usage.isError, text(usage.content)).toBeFalsy();
    expect(usage.structuredContent).toMatchObject({ org_id: ORG.acme });
    expect((prompts.prompts as { name: string }[]).map((p) => p.name)).toContain(PROMPT);
    expect(text((prompt.messages as { content: unknown }[]).map((m) => m.content))).toContain(`organization ${ORG.acme}`);
    expect(bad.isError).toBe(true);
    expect(text(bad.content)).toMatch(BAD_ARGUMENT);
  });
});
