#!/usr/bin/env node
// CLI entry: with no arguments, serve MCP over stdio.
import { parseArgs } from "node:util";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { allTools } from "../tools/index.js";
import { loadConfig } from "./config.js";
import { stderrLogger } from "./logger.js";
import { createBillingServer, SERVER_VERSION } from "./server.js";
import { selectTools, UsageError } from "./tool-selection.js";

const HELP = `billing-mcp ${SERVER_VERSION}: MCP server for Viam and Latitude.sh billing (stdio).

Usage:
  billing-mcp [--allow-writes] [--tools LIST]   serve MCP over stdio

Options:
  --allow-writes     enable the charge and update tools (env BILLING_MCP_ALLOW_WRITES=true)
  --tools LIST       comma-separated tool names, or all / read-only (env BILLING_MCP_TOOLS)
  --help             this text
  --version          the version

Environment:
  VIAM_API_KEY_ID, VIAM_API_KEY   organization-owner API key (unset: embedded sandbox)
  VIAM_SERVICE_HOST               Viam app URL (default https://app.viam.com)
  VIAM_ORG_ID                     default organization for calls without org_id
  LATITUDESH_BEARER               Latitude.sh API token (unset: embedded Latitude sandbox)
  LATITUDESH_SERVER_URL           Latitude.sh API URL (default https://api.latitude.sh)
  LATITUDESH_PROJECT              default Latitude.sh project (id or slug) for calls without project
  BILLING_MCP_DOWNLOAD_DIR        where invoice PDFs may be saved (default ~/Downloads/billing-mcp)
  BILLING_MCP_RESOURCE_MAX_BYTES  largest invoice PDF served as an MCP resource (default 5242880)
  BILLING_MCP_LOG_LEVEL           debug, info, warning, error (stderr; default info)
  BILLING_MCP_AUDIT_LOG           audit log of write attempts (default $XDG_STATE_HOME/billing-mcp/audit.jsonl,
                                  else ~/.local/state/billing-mcp/audit.jsonl)
  BILLING_MCP_MAX_CHARGE          largest charge total in USD a write tool may make (default 1000)
  BILLING_MCP_CONFIRM_TTL_SECONDS how long a confirmation token is valid (default 300)
`;

function parseCommandLine(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      "allow-writes": { type: "boolean" },
      tools: { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });
  if (positionals.length > 0 && positionals[0] !== "serve") throw new UsageError(`unknown command "${positionals[0]}"; see billing-mcp --help`);
  return {
    help: values.help ?? false,
    version: values.version ?? false,
    allowWrites: values["allow-writes"] ?? process.env.BILLING_MCP_ALLOW_WRITES === "true",
    toolSpec: values.tools ?? process.env.BILLING_MCP_TOOLS,
  };
}

async function serve(options: { allowWrites: boolean; toolSpec: string | undefined }): Promise<void> {
  const tools = selectTools(allTools, { spec: options.toolSpec, allowWrites: options.allowWrites });
  const config = loadConfig();
  const logger = stderrLogger();
  const billing = createBillingServer({ config, logger, tools, allowWrites: options.allowWrites });
  const transport = new StdioServerTransport();
  // Shutdown (stdin closed, SIGTERM, SIGINT): take no new calls, let those in flight finish
  // and answer (bounded by their deadlines), then exit 0. SIGTERM while draining changes
  // nothing (a charge in flight should land and be audited); a second Ctrl-C exits at once.
  let closing = false;
  const shutdown = async (why: string, exitCode = 0) => {
    if (closing) return;
    closing = true;
    const busy = billing.inFlight;
    logger.log(busy ? "info" : "debug", `${why}: shutting down${busy ? `, finishing ${busy} call(s) in flight` : ""}`);
    const finished = await billing.drain();
    if (!finished) logger.log("warning", `calls still running at their deadline were abandoned (${billing.inFlight})`);
    await flushStdout();
    await billing.server.close().catch(() => undefined);
    await billing.close();
    process.exit(finished ? exitCode : 1);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing && signal === "SIGINT") {
      logger.log("warning", `${signal} again: exiting without waiting for calls in flight`);
      process.exit(1);
    }
    void shutdown(signal);
  };
  transport.onclose = () => void shutdown("connection closed");
  process.stdin.on("end", () => void shutdown("stdin closed"));
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // The client went away while we were answering (EPIPE): nothing more can be delivered.
  process.stdout.on("error", () => void shutdown("stdout closed"));
  // Last line of defence: one redacted line on stderr, never a stack trace.
  process.on("unhandledRejection", (reason) => logger.log("error", `internal error (still serving): ${oneLine(reason)}`));
  process.on("uncaughtException", (err) => {
    logger.log("error", `internal error: ${oneLine(err)}`);
    void shutdown("internal error", 1);
  });
  await billing.server.connect(transport);
  if (config.viam.kind === "sandbox") logger.log("info", "no Viam credentials set: serving the embedded sandbox (demo data)");
  if (config.viam.kind === "misconfigured") logger.log("warning", config.viam.problem);
  if (config.latitude.kind === "sandbox") logger.log("info", "no LATITUDESH_BEARER set: Latitude.sh answers come from the embedded sandbox (demo data)");
  if (config.latitude.kind === "misconfigured") logger.log("warning", config.latitude.problem);
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
  let options: ReturnType<typeof parseCommandLine>;
  try {
    options = parseCommandLine(process.argv.slice(2));
    if (options.help) return void process.stdout.write(HELP);
    if (options.version) return void process.stdout.write(`${SERVER_VERSION}\n`);
    await serve(options);
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    process.stderr.write(`billing-mcp: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(usage ? 2 : 1);
  }
}

void main();
