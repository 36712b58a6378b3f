// The in-process layer of the tests: the billing server built from src/ (no build, no child
// process) and served to a real v2 MCP Client over InMemoryTransport by the SDK's own
// serveStdio entry, as the CLI serves stdio: one factory, either protocol generation per
// connection. Configuration comes from the env given (as a spawned server's would), the date
// from test/clock.ts. Editing a tool and running its test file tests the edit. What needs a
// process (stdio framing, signals, exit codes, TLS trust, memory, packaging) stays with
// test/harness.ts startServer and test/process-harness.ts.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Client, InMemoryTransport } from "@modelcontextprotocol/client";
import type { ClientCapabilities } from "@modelcontextprotocol/client";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { afterAll, beforeAll } from "vitest";
import { allTools } from "../tools/index.js";
import { loadConfig } from "../src/core/config.js";
import { stderrLogger } from "../src/core/logger.js";
import type { LogLevel } from "../src/core/logger.js";
import type { Clock } from "../src/core/clock.js";
import { createBillingServer } from "../src/mcp/server.js";
import type { BillingServer } from "../src/mcp/server.js";
import { selectTools } from "../src/mcp/tool-selection.js";
import { MODERN_REVISION, startViamSandbox } from "./harness.js";
import type { Era, ViamSandbox } from "./harness.js";
import { testClock } from "./clock.js";

export interface InProcessServer {
  client: Client;
  /** What the server logged, as its stderr would show it (at BILLING_MCP_LOG_LEVEL, default debug). */
  stderr: () => string;
  /** Every message the server sent, one JSON line each, as its stdout would carry them. */
  stdout: () => string;
  /** The server's private HOME: its download directory and audit log default under it. */
  home: string;
  billing: BillingServer;
  close(): Promise<void>;
}

/**
 * A server over exactly `env` (as if spawned with it and a private HOME) and the CLI flags in
 * `args` (--allow-writes, --tools), and a client declaring `capabilities` speaking `era`.
 * `clock` replaces the test clock (e.g. a fixed one, so that two calls see the same instant).
 */
export async function startInProcess(env: Record<string, string> = {}, args: string[] = [], capabilities: ClientCapabilities = {}, era: Era = "2025", clock: Clock = testClock): Promise<InProcessServer> {
  const home = mkdtempSync(join(tmpdir(), "billing-mcp-home-"));
  // The defaults a spawned server derives from HOME (os.homedir() reads this process's HOME).
  const state = env.XDG_STATE_HOME ?? join(home, ".local", "state");
  const config = loadConfig({
    HOME: home,
    BILLING_MCP_AUDIT_LOG: join(state, "billing-mcp", "audit.jsonl"),
    BILLING_MCP_DOWNLOAD_DIR: join(home, "Downloads", "billing-mcp"),
    ...env,
  });
  if (env.BILLING_MCP_NOW === undefined) config.clock = clock;
  const { values } = parseArgs({ args, strict: true, options: { "allow-writes": { type: "boolean" }, tools: { type: "string" } } });
  const allowWrites = values["allow-writes"] ?? env.BILLING_MCP_ALLOW_WRITES === "true";
  const spec = values.tools ?? (env.BILLING_MCP_TOOLS?.trim() ? env.BILLING_MCP_TOOLS : undefined);
  const tools = selectTools(allTools, { spec, allowWrites, source: values.tools !== undefined ? "--tools" : "BILLING_MCP_TOOLS" });
  let stderr = "";
  const logger = stderrLogger((env.BILLING_MCP_LOG_LEVEL as LogLevel | undefined) ?? "debug", (line) => (stderr += line));
  // As src/cli.ts serve(): with --tools exactly the selection is listed, else write stubs too.
  const billing = createBillingServer({ config, logger, tools, allowWrites, writeStubs: spec === undefined });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  let stdout = "";
  const send = serverSide.send.bind(serverSide);
  serverSide.send = async (message, options) => {
    stdout += `${JSON.stringify(message)}\n`;
    return await send(message, options);
  };
  const handle = serveStdio(() => billing.createServer(), { transport: serverSide, onerror: (err) => logger.log("debug", `MCP: ${err.message}`) });
  const client = new Client(
    { name: "billing-mcp-tests", version: "0.0.0" },
    { capabilities, ...(era === "2026" ? { versionNegotiation: { mode: { pin: MODERN_REVISION } } } : {}) },
  );
  await client.connect(clientSide);
  return {
    client,
    stderr: () => stderr,
    stdout: () => stdout,
    home,
    billing,
    async close() {
      await client.close().catch(() => undefined);
      await handle.close().catch(() => undefined);
      await billing.close();
    },
  };
}

/** One Viam sandbox and one in-process server over it, for a whole test file; read `.sandbox` and `.server` inside the tests. */
export function useInProcessServer(env: (sandbox: ViamSandbox) => Record<string, string>, args: string[] = []) {
  const fixture = {} as { sandbox: ViamSandbox; server: InProcessServer };
  beforeAll(async () => {
    fixture.sandbox = await startViamSandbox();
    fixture.server = await startInProcess(env(fixture.sandbox), args);
  });
  afterAll(async () => {
    await fixture.server?.close();
    await fixture.sandbox?.close();
  });
  return fixture;
}
