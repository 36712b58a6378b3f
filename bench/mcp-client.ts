// A minimal MCP client over stdio for the benchmark: newline-delimited JSON-RPC, nothing else,
// so that what is timed is the server (and the pipe), not a client library's own validation.
import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";

export interface RpcError {
  code: number;
  message: string;
}

export interface RpcResponse {
  id: number;
  result?: Record<string, unknown>;
  error?: RpcError;
}

export interface ToolCallResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

export const PROTOCOL_VERSION = "2025-06-18";

export class StdioMcpClient {
  readonly child: ChildProcessWithoutNullStreams;
  private buffer = "";
  private nextId = 1;
  private readonly pending = new Map<number, (response: RpcResponse) => void>();
  private stderrText = "";
  private readonly exited: Promise<void>;

  constructor(entry: string, env: Record<string, string>, nodeArgs: string[] = [], serverArgs: string[] = []) {
    this.child = spawn(process.execPath, [...nodeArgs, entry, ...serverArgs], { env, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.setEncoding("utf8");
    this.child.stdout.on("data", (chunk: string) => this.onData(chunk));
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (chunk: string) => (this.stderrText = (this.stderrText + chunk).slice(-4000)));
    this.exited = new Promise((resolve) => this.child.once("exit", () => resolve()));
    this.child.once("exit", () => {
      for (const [id, resolve] of this.pending) resolve({ id, error: { code: -1, message: `server exited: ${this.stderrText.trim()}` } });
      this.pending.clear();
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error("server did not start");
    return this.child.pid;
  }

  get stderr(): string {
    return this.stderrText;
  }

  request(method: string, params: Record<string, unknown> = {}): Promise<RpcResponse> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    });
  }

  notify(method: string): void {
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method })}\n`);
  }

  /** initialize, then notifications/initialized: what every client does first. */
  async initialize(): Promise<RpcResponse> {
    const response = await this.request("initialize", { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "billing-mcp-bench", version: "0" } });
    if (response.error) throw new Error(`initialize failed: ${response.error.message}`);
    this.notify("notifications/initialized");
    return response;
  }

  async callTool(name: string, args: Record<string, unknown>): Promise<ToolCallResult> {
    const response = await this.request("tools/call", { name, arguments: args });
    if (response.error) return { isError: true, content: [{ type: "text", text: `JSON-RPC error ${response.error.code}: ${response.error.message}` }] };
    return response.result as unknown as ToolCallResult;
  }

  /** Peak resident set size so far, in KiB (VmHWM: not ru_maxrss, which counts the fork). */
  peakRssKiB(): number {
    return peakRssKiB(this.pid);
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    await this.exited;
  }

  async kill(): Promise<void> {
    this.child.kill("SIGKILL");
    await this.exited;
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      if (!line.trim()) continue;
      const message = JSON.parse(line) as Partial<RpcResponse> & { method?: string };
      if (typeof message.id !== "number" || message.method !== undefined) continue;
      const resolve = this.pending.get(message.id);
      this.pending.delete(message.id);
      resolve?.(message as RpcResponse);
    }
  }
}

export function textOf(result: ToolCallResult): string {
  return result.content.map((c) => (c.type === "text" ? (c.text ?? "") : "")).join("\n");
}

export function peakRssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  if (!match?.[1]) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]);
}
