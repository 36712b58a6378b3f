// Shared test harness: spawns the built server (dist/) as an MCP client would, over stdio,
// and talks to it with the MCP SDK's real (v2) Client: by default as a 2025-11-25 client
// (initialize), or as a 2026-07-28 one (server/discover, per-request metadata).
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/client";
import type { CallToolResult, ClientCapabilities } from "@modelcontextprotocol/client";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { startViamSandbox as startSandbox } from "../src/sandbox/viam-sandbox.js";
import type { StartOptions, ViamSandbox } from "../src/sandbox/viam-sandbox.js";
import { startLatitudeSandbox as startLatitude } from "../src/sandbox/latitude-sandbox.js";
import type { LatitudeSandbox, LatitudeSandboxOptions } from "../src/sandbox/latitude-sandbox.js";
import { clockEnv, testClock } from "./clock.js";

export const SERVER_ENTRY = resolve(import.meta.dirname, "../dist/src/cli.js");

export interface RunningServer {
  client: Client;
  stderr: () => string;
  home: string;
  /** The server process, e.g. to read /proc/<pid>/status. */
  pid: number;
  close(): Promise<void>;
}

/** The protocol generation a client speaks: 2025-11-25 (initialize) or 2026-07-28 (server/discover, pinned). */
export type Era = "2025" | "2026";
export const MODERN_REVISION = "2026-07-28";

/** Spawn the built server with exactly `env` (plus PATH and a private HOME) and connect a client declaring `capabilities`. */
export async function startServer(env: Record<string, string> = {}, args: string[] = [], capabilities: ClientCapabilities = {}, era: Era = "2025"): Promise<RunningServer> {
  const home = mkdtempSync(join(tmpdir(), "billing-mcp-home-"));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [SERVER_ENTRY, ...args],
    env: { ...getDefaultEnvironment(), HOME: home, BILLING_MCP_LOG_LEVEL: "debug", ...clockEnv(), ...env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const client = new Client(
    { name: "billing-mcp-tests", version: "0.0.0" },
    { capabilities, ...(era === "2026" ? { versionNegotiation: { mode: { pin: MODERN_REVISION } } } : {}) },
  );
  await client.connect(transport);
  return { client, stderr: () => stderr, home, pid: transport.pid ?? -1, close: () => client.close() };
}

/** Environment that points the server at a sandbox as if it were the real Viam app. */
export function liveEnv(sandbox: ViamSandbox, extra: Record<string, string> = {}): Record<string, string> {
  return { VIAM_SERVICE_HOST: sandbox.url, VIAM_API_KEY_ID: sandbox.apiKeyId, VIAM_API_KEY: sandbox.apiKey, ...extra };
}

export async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return await client.callTool({ name, arguments: args });
}

export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
}

/** A Viam sandbox on the test clock. */
export const startViamSandbox = (options: StartOptions = {}): Promise<ViamSandbox> => startSandbox({ clock: testClock, ...options });
/** A Latitude.sh sandbox on the test clock. */
export const startLatitudeSandbox = (options: LatitudeSandboxOptions = {}): Promise<LatitudeSandbox> => startLatitude({ clock: testClock, ...options });
export type { LatitudeSandbox, ViamSandbox };

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI once with exactly `env` (plus PATH and a private HOME), stdin closed. */
export async function runCli(args: string[], env: Record<string, string> = {}, entry = SERVER_ENTRY): Promise<CliRun> {
  const home = mkdtempSync(join(tmpdir(), "billing-mcp-home-"));
  const child = spawn(process.execPath, [entry, ...args], {
    env: { ...getDefaultEnvironment(), HOME: home, ...clockEnv(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((done) => child.on("close", (c) => done(c)));
  return { code, stdout, stderr };
}

