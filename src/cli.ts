#!/usr/bin/env node
// CLI entry: serve MCP over stdio (the default), list the tools, or run one tool in-process.
// serve hands stdin and stdout to the MCP SDK (serveStdio over its StdioServerTransport), which
// answers every message and decides per connection which protocol generation it speaks.
import { PassThrough } from "node:stream";
import { parseArgs } from "node:util";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { serveStdio, StdioServerTransport } from "@modelcontextprotocol/server/stdio";
import { loadConfig, writesDisabled } from "./core/config.js";
import type { Config } from "./core/config.js";
import { stderrLogger } from "./core/logger.js";
import type { Logger } from "./core/logger.js";
import { SERVER_VERSION } from "./mcp/server-info.js";
import { AnsweredCounter, MAX_MESSAGE_BYTES } from "./mcp/stdio-wire.js";
import type { ToolDefinition } from "./mcp/tool-definition.js";
import { selectTools, UsageError } from "./mcp/tool-selection.js";

// Keep in sync with README's configuration table (test/cli.test.ts checks the variables).
const HELP = `billing-mcp ${SERVER_VERSION}: MCP server for Viam and Latitude.sh billing.

Usage:
  billing-mcp [serve] [--allow-writes] [--tools LIST]
      Serve MCP over stdio (what an MCP client launches).
  billing-mcp tools [--allow-writes] [--tools LIST]
      List the tools served: name, read or write, title.
  billing-mcp call TOOL [--args JSON] [--text] [--allow-writes] [--tools LIST]
      Run one tool exactly as the server would and print its structuredContent as
      JSON on stdout (its text rendering with --text).

Options:
  --allow-writes     serve the tools that change billing (env BILLING_MCP_ALLOW_WRITES=true)
  --tools LIST       serve only these: comma-separated tool names, all, read-only
                     (env BILLING_MCP_TOOLS; default all)
  --args JSON        call: the tool's arguments as a JSON object (default {}),
                     e.g. '{"org_id":"org-acme"}'; every tool also takes timeout (seconds)
  --text             call: print the text rendering instead of JSON
  -h, --help         this text
  -v, --version      the version

Exit status: 0 done; 1 the tool reported an error (its message on stderr, including
arguments its schema refuses) or the server failed; 2 bad usage: an unknown command,
flag or tool, --args that is not a JSON object, or a --tools entry that cannot be
served. Every refusal is one line on stderr.

Environment:
  VIAM_API_KEY_ID, VIAM_API_KEY    organization-owner API key (both unset: embedded sandbox)
  VIAM_SERVICE_HOST                Viam app URL (default https://app.viam.com)
  VIAM_ORG_ID                      default organization for calls without org_id
  LATITUDESH_BEARER                Latitude.sh API token (unset: embedded Latitude sandbox)
  LATITUDESH_SERVER_URL            Latitude.sh API URL (default https://api.latitude.sh)
  LATITUDESH_PROJECT               default Latitude.sh project (id or slug) for calls without project
  BILLING_MCP_TOOLS                as --tools
  BILLING_MCP_ALLOW_WRITES         true: as --allow-writes
  BILLING_MCP_MAX_CHARGE           largest charge total in USD a write tool may make (default 1000)
  BILLING_MCP_MAX_DAILY_CHARGE     largest sum in USD charged to one organization over any 24 hours,
                                   counting charges that got no answer (default 2000)
  BILLING_MCP_CONFIRM_TTL_SECONDS  how long a write confirmation token is valid (default 300)
  BILLING_MCP_AUDIT_LOG            audit log of write attempts (default
                                   $XDG_STATE_HOME/billing-mcp/audit.jsonl, else
                                   ~/.local/state/billing-mcp/audit.jsonl)
  BILLING_MCP_DOWNLOAD_DIR         the only directory invoice PDFs are saved in
                                   (default ~/Downloads/billing-mcp)
  BILLING_MCP_RESOURCE_MAX_BYTES   largest invoice PDF served as an MCP resource (default 5242880)
  BILLING_MCP_LOG_LEVEL            stderr log level: debug, info, warning, error (default info)
  BILLING_MCP_NOW                  start the clock at this ISO instant (e.g. 2026-12-01T00:01:00Z);
                                   for tests and demos of a given day (default: the system clock)
`;

const COMMANDS = ["serve", "tools", "call"] as const;
type Command = (typeof COMMANDS)[number];
const isCommand = (word: string): word is Command => (COMMANDS as readonly string[]).includes(word);

// A call may wait for a 600 s tool deadline plus retries; the tool enforces its own deadline.
const CALL_REQUEST_TIMEOUT_MS = 11 * 60_000;

interface CommandLine {
  command: Command;
  help: boolean;
  version: boolean;
  allowWrites: boolean;
  /** The tool selection and where it came from, to name it in errors. */
  toolSpec: string | undefined;
  toolSource: string;
  toolName: string | undefined;
  args: Record<string, unknown>;
  text: boolean;
}

type Env = Record<string, string | undefined>;

function parseCommandLine(argv: string[], env: Env): CommandLine {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      "allow-writes": { type: "boolean" },
      tools: { type: "string" },
      args: { type: "string" },
      text: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });
  const [command = "serve", ...rest] = positionals;
  if (!isCommand(command)) throw new UsageError(`unknown command "${command}": use serve, tools or call; see billing-mcp --help`);
  if (command === "call" && rest.length === 0) throw new UsageError("call needs a tool name: billing-mcp call TOOL [--args JSON]; billing-mcp tools lists them");
  const extra = command === "call" ? rest[1] : rest[0];
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}": pass tool arguments as --args '{"name":"value"}'`);
  if (command !== "call" && (values.args !== undefined || values.text)) throw new UsageError("--args and --text go with call: billing-mcp call TOOL --args JSON");
  const envTools = env.BILLING_MCP_TOOLS?.trim() ? env.BILLING_MCP_TOOLS : undefined;
  return {
    command,
    help: values.help ?? false,
    version: values.version ?? false,
    allowWrites: values["allow-writes"] ?? env.BILLING_MCP_ALLOW_WRITES === "true",
    toolSpec: values.tools ?? envTools,
    toolSource: values.tools !== undefined ? "--tools" : "BILLING_MCP_TOOLS",
    toolName: command === "call" ? rest[0] : undefined,
    args: values.args === undefined ? {} : parseToolArgs(values.args),
    text: values.text ?? false,
  };
}

function parseToolArgs(json: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new UsageError(`--args is not valid JSON (${(err as Error).message}); pass an object such as '{"org_id":"org-acme"}'`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`--args must be a JSON object such as '{"org_id":"org-acme"}', not ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

/** The selected tools, the config and a server over them: the same for the tools and call commands. */
async function buildServer(cl: CommandLine, tools: readonly ToolDefinition[]) {
  const { createBillingServer } = await import("./mcp/server.js");
  const config = loadConfig();
  const logger = stderrLogger();
  return { config, logger, billing: createBillingServer({ config, logger, tools, allowWrites: cl.allowWrites, writeStubs: false }) };
}

async function selected(cl: CommandLine): Promise<ToolDefinition[]> {
  const { allTools } = await import("../tools/index.js");
  return selectTools(allTools, { spec: cl.toolSpec, allowWrites: cl.allowWrites, source: cl.toolSource });
}

function announceTarget(config: Config, logger: Logger): void {
  if (config.viam.kind === "sandbox") logger.log("info", "no Viam credentials set: serving the embedded sandbox (demo data)");
  if (config.viam.kind === "misconfigured") logger.log("warning", config.viam.problem);
  if (config.latitude.kind === "sandbox") logger.log("info", "no LATITUDESH_BEARER set: Latitude.sh answers come from the embedded sandbox (demo data)");
  if (config.latitude.kind === "misconfigured") logger.log("warning", config.latitude.problem);
}

async function serve(cl: CommandLine): Promise<void> {
  const { createBillingServer, DRAIN_GRACE_MS } = await import("./mcp/server.js");
  const tools = await selected(cl);
  const config = loadConfig();
  const logger = stderrLogger();
  // With --tools, exactly the selected tools are listed; by default the write tools are listed as disabled stubs when writes are off.
  const billing = createBillingServer({ config, logger, tools, allowWrites: cl.allowWrites, writeStubs: cl.toolSpec === undefined });
  // The transport reads a stream that ends only once shutdown has let the calls in flight be
  // answered: the SDK's transport closes (and aborts them) when its input ends.
  const input = new PassThrough();
  process.stdin.pipe(input, { end: false });
  announceUnresolved(billing.unresolvedCharges, logger);
  let closing = false;
  const wire = new AnsweredCounter(new StdioServerTransport(input, process.stdout, { maxBufferSize: MAX_MESSAGE_BYTES }), () => void shutdown("the connection closed"));
  const handle = serveStdio(() => billing.createServer(), {
    transport: wire,
    onerror: (err) => logger.log(/exceeded maximum size/.test(err.message) ? "warning" : "debug", `MCP: ${err.message}`),
  });
  const shutdown = async (why: string, exitCode = 0) => {
    if (closing) return;
    closing = true;
    const busy = wire.unanswered;
    logger.log(busy ? "info" : "debug", `${why}: shutting down${busy ? `, finishing ${busy} request(s) in flight` : ""}`);
    // After a signal, calls that reach a tool from now on are told the server is shutting down.
    if (why.startsWith("SIG")) void billing.drain();
    const floor = Date.now() + DRAIN_GRACE_MS;
    const finished = await wire.whenAnswered(() => Math.max(floor, billing.drainDeadline()));
    if (!finished) logger.log("warning", `requests still running at their deadline were abandoned (${wire.unanswered})`);
    await flushStdout();
    await handle.close().catch(() => undefined);
    await billing.close().catch(() => undefined);
    process.exit(finished ? exitCode : 1);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing && signal === "SIGINT") {
      logger.log("warning", `${signal} again: exiting without waiting for calls in flight`);
      process.exit(1);
    }
    void shutdown(signal);
  };
  process.stdin.on("end", () => void shutdown("stdin closed"));
  process.stdin.on("error", (err) => {
    logger.log("error", `stdin failed: ${err.message}`);
    void shutdown("stdin failed");
  });
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.stdout.on("error", () => void shutdown("stdout closed"));
  process.on("unhandledRejection", (reason) => logger.log("error", `internal error (still serving): ${oneLine(reason)}`));
  process.on("uncaughtException", (err) => {
    logger.log("error", `internal error: ${oneLine(err)}`);
    void shutdown("internal error", 1);
  });
  announceTarget(config, logger);
}

function announceUnresolved(unresolved: readonly string[], logger: Logger): void {
  for (const charge of unresolved) {
    logger.log("warning", `unresolved charge: ${charge}; an earlier process stopped before Viam answered. Check viam_get_invoices_summary before charging that organization again.`);
  }
}

/** `tools`: what tools/list says, one line each. */
async function listTools(cl: CommandLine): Promise<string> {
  const { connectInProcess } = await import("./mcp/in-process.js");
  const session = await connectInProcess((await buildServer(cl, await selected(cl))).billing);
  try {
    const { tools } = await session.client.listTools();
    const width = Math.max(0, ...tools.map((t) => t.name.length));
    return tools.map((t) => `${t.name.padEnd(width)}  ${t.annotations?.readOnlyHint ? "read " : "write"}  ${t.title ?? ""}\n`).join("");
  } finally {
    await session.close();
  }
}

/** Why `name` cannot be called with this selection, as one line that says what to do. */
async function notServed(name: string, cl: CommandLine): Promise<string> {
  const { allTools } = await import("../tools/index.js");
  const tool = allTools.find((t) => t.name === name);
  if (!tool) return `"${name}" is not a tool; billing-mcp tools lists them`;
  if (tool.access === "write" && !cl.allowWrites) return writesDisabled(name);
  return `"${name}" is not selected by ${cl.toolSource} (${cl.toolSpec ?? ""}); add it there`;
}

/** `call`: one tools/call through an in-process client. Returns stdout text, or throws. */
async function callOnce(cl: CommandLine): Promise<{ out: string } | { err: string }> {
  const name = cl.toolName ?? "";
  const tools = await selected(cl);
  if (!tools.some((t) => t.name === name)) throw new UsageError(await notServed(name, cl));
  const { config, logger, billing } = await buildServer(cl, tools);
  const { connectInProcess } = await import("./mcp/in-process.js");
  const session = await connectInProcess(billing);
  try {
    announceTarget(config, logger);
    announceUnresolved(billing.unresolvedCharges, logger);
    const result: CallToolResult = await session.client.callTool({ name, arguments: cl.args }, { timeout: CALL_REQUEST_TIMEOUT_MS });
    const text = result.content.map((c) => (c.type === "text" ? c.text : "")).filter(Boolean).join("\n");
    if (result.isError) return { err: `${text}\n` };
    return { out: cl.text ? `${text}\n` : `${JSON.stringify(result.structuredContent ?? { text }, null, 2)}\n` };
  } finally {
    await session.close();
  }
}

/** Write, wait until it is flushed (stdout may be a pipe), then exit. */
function finish(stream: NodeJS.WriteStream, text: string, code: number): void {
  stream.write(text, () => process.exit(code));
}

function oneLine(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.split("\n")[0] ?? "";
}

function flushStdout(): Promise<void> {
  if (process.stdout.writableLength === 0 || process.stdout.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2_000);
    process.stdout.once("drain", () => (clearTimeout(timer), resolve()));
  });
}

async function main(): Promise<void> {
  try {
    const cl = parseCommandLine(process.argv.slice(2), process.env);
    if (cl.help) return finish(process.stdout, HELP, 0);
    if (cl.version) return finish(process.stdout, `${SERVER_VERSION}\n`, 0);
    if (cl.command === "serve") return await serve(cl);
    if (cl.command === "tools") return finish(process.stdout, await listTools(cl), 0);
    const result = await callOnce(cl);
    return "out" in result ? finish(process.stdout, result.out, 0) : finish(process.stderr, result.err, 1);
  } catch (err) {
    const parse = (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ?? false;
    const usage = err instanceof UsageError || parse;
    const message = (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
    finish(process.stderr, `billing-mcp: ${message}${parse ? "; see billing-mcp --help" : ""}\n`, usage ? 2 : 1);
  }
}

void main();
