// Spawns the built server with full control of the child process: every byte of stdout and
// stderr is kept (for secret and stack-trace scans), signals can be sent, and the exit code
// is observable. The MCP SDK's real Client talks to it through a minimal stdio transport.
import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, ReadBuffer, serializeMessage } from "@modelcontextprotocol/client";
import type { JSONRPCMessage, Transport } from "@modelcontextprotocol/client";
import { getDefaultEnvironment } from "@modelcontextprotocol/client/stdio";
import { clockEnv } from "./clock.js";
import { SERVER_ENTRY } from "./harness.js";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  client: Client;
  child: ChildProcessWithoutNullStreams;
  home: string;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
  close(): Promise<void>;
}

class ChildTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private readonly buffer = new ReadBuffer();

  constructor(private readonly child: ChildProcessWithoutNullStreams) {}

  async start(): Promise<void> {
    this.child.stdout.on("data", (chunk: Buffer) => {
      this.buffer.append(chunk);
      for (;;) {
        let message: JSONRPCMessage | null;
        try {
          message = this.buffer.readMessage();
        } catch (err) {
          this.onerror?.(err as Error);
          continue;
        }
        if (message === null) break;
        this.onmessage?.(message);
      }
    });
    this.child.on("close", () => this.onclose?.());
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (!this.child.stdin.writable) throw new Error("server stdin is closed");
    await new Promise<void>((resolve, reject) => this.child.stdin.write(serializeMessage(message), (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    this.child.stdin.end();
  }
}

export async function startServerProcess(env: Record<string, string> = {}, args: string[] = []): Promise<ServerProcess> {
  const home = mkdtempSync(join(tmpdir(), "billing-mcp-home-"));
  const child = spawn(process.execPath, [SERVER_ENTRY, ...args], {
    env: { ...getDefaultEnvironment(), HOME: home, BILLING_MCP_LOG_LEVEL: "debug", ...clockEnv(), ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Exit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const client = new Client({ name: "billing-mcp-robustness", version: "0.0.0" });
  await client.connect(new ChildTransport(child));
  return {
    client,
    child,
    home,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async close() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A stack trace line as Node prints one: "    at fn (file.js:1:2)". */
export const STACK_TRACE = /^\s+at .+(\(|\s)(node:|file:|\/).*:\d+(:\d+)?\)?$/m;
