// HTTP mode's throughput rows for npm run bench: requests per second of one read tool call with
// 50 clients at once, over Streamable HTTP to one replica and to two behind a round-robin
// proxy, each as a ratio to the same calls over stdio (one server, 50 requests in flight), all
// measured in the same run against the same sandbox. Reads touch no shared state: no Redis and
// no authorization server here (token verification is local, a JWT signature check per request).
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createServer, request } from "node:http";
import type { Server } from "node:http";
import { StdioMcpClient } from "./mcp-client.js";

export const HTTP_CLIENTS = 50;
const TOOL = "viam_get_current_month_usage";

export interface HttpBenchOptions {
  serverEntry: string;
  env: () => Record<string, string>;
  orgId: string;
  /** Calls per measurement. */
  calls: number;
  write(line: string): void;
}

interface Replica {
  url: string;
  child: ChildProcess;
}

function startReplica(entry: string, env: Record<string, string>): Promise<Replica> {
  const child = spawn(process.execPath, [entry, "serve", "--http", "--port", "0"], { env: { ...env, BILLING_MCP_LOG_LEVEL: "info" }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  return new Promise((resolve, reject) => {
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
      const match = /serving MCP over Streamable HTTP at (http:\/\/\S+)\/mcp/.exec(stderr);
      if (match?.[1]) resolve({ url: match[1], child });
    });
    child.once("exit", (code) => reject(new Error(`replica exited (${code}): ${stderr}`)));
  });
}

function roundRobin(upstreams: string[]): Promise<{ url: string; server: Server }> {
  let next = 0;
  const server = createServer((req, res) => {
    const upstream = request(new URL(req.url ?? "/", upstreams[next++ % upstreams.length]), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server })));
}

/** `calls` tools/call requests by HTTP_CLIENTS clients at once (stateless 2025-11-25 POSTs); requests per second. */
async function httpRate(mcpUrl: string, orgId: string, calls: number): Promise<number> {
  let id = 0;
  let left = calls;
  const one = async () => {
    const response = await fetch(mcpUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method: "tools/call", params: { name: TOOL, arguments: { org_id: orgId } } }),
    });
    const text = await response.text();
    if (!response.ok || text.includes('"isError":true')) throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
  };
  const client = async () => {
    while (left-- > 0) await one();
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: HTTP_CLIENTS }, client));
  return calls / ((performance.now() - started) / 1000);
}

/** The same over stdio: one server, HTTP_CLIENTS requests kept in flight. */
async function stdioRate(entry: string, env: Record<string, string>, orgId: string, calls: number): Promise<number> {
  const server = new StdioMcpClient(entry, env);
  await server.initialize();
  let left = calls;
  const lane = async () => {
    while (left-- > 0) {
      const result = await server.callTool(TOOL, { org_id: orgId });
      if (result.isError) throw new Error(`${TOOL} failed over stdio`);
    }
  };
  try {
    for (let i = 0; i < 20; i++) await server.callTool(TOOL, { org_id: orgId });
    const started = performance.now();
    await Promise.all(Array.from({ length: HTTP_CLIENTS }, lane));
    return calls / ((performance.now() - started) / 1000);
  } finally {
    await server.close();
  }
}

export async function measureHttpThroughput(options: HttpBenchOptions): Promise<void> {
  const replicas = await Promise.all([startReplica(options.serverEntry, options.env()), startReplica(options.serverEntry, options.env())]);
  const proxy = await roundRobin(replicas.map((r) => r.url));
  try {
    const single = `${replicas[0]?.url}/mcp`;
    const pair = `${proxy.url}/mcp`;
    await httpRate(single, options.orgId, Math.min(100, options.calls));
    await httpRate(pair, options.orgId, Math.min(100, options.calls));
    const stdio = await stdioRate(options.serverEntry, options.env(), options.orgId, options.calls);
    const one = await httpRate(single, options.orgId, options.calls);
    const two = await httpRate(pair, options.orgId, options.calls);
    const rps = (v: number) => `${v.toFixed(0)} req/s`;
    options.write(`[http-throughput] ${TOOL}, ${HTTP_CLIENTS} clients at once, ${options.calls} calls each run: stdio ${rps(stdio)}; HTTP one replica ${rps(one)} = ${(one / stdio).toFixed(2)}x stdio; two replicas behind a round-robin proxy ${rps(two)} = ${(two / stdio).toFixed(2)}x stdio\n`);
  } finally {
    proxy.server.close();
    proxy.server.closeAllConnections();
    for (const replica of replicas) replica.child.kill("SIGTERM");
  }
}
