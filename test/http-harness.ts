// HTTP mode's real parts for tests: an OAuth authorization server (oidc-provider, issuing JWT
// access tokens for a resource indicator by the client credentials grant), the built server
// spawned with `serve --http --port 0`, and SDK clients over Streamable HTTP.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { getDefaultEnvironment } from "@modelcontextprotocol/client/stdio";
import Provider from "oidc-provider";
import { clockEnv } from "./clock.js";
import { MODERN_REVISION, SERVER_ENTRY } from "./harness.js";
import type { Era } from "./harness.js";

export const SCOPES = "billing:read billing:write";
/** Clients of the test authorization server; each is its own subject (client credentials: sub is the client id). */
export const CLIENTS = {
  alice: "alice-agent",
  bob: "bob-agent",
  /** Its tokens live one second, to test expiry. */
  brief: "brief-agent",
} as const;
export const CLIENT_SECRET = "test-secret-not-a-real-one";
const SECRET = CLIENT_SECRET;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface AuthServer {
  issuer: string;
  /** An access token for `client`, for `resource`, with `scope`. */
  token(client: string, resource: string, scope?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startAuthServer(): Promise<AuthServer> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: Object.values(CLIENTS).map((client_id) => ({
      client_id,
      client_secret: SECRET,
      grant_types: ["client_credentials"],
      redirect_uris: [],
      response_types: [],
      scope: SCOPES,
    })),
    scopes: SCOPES.split(" "),
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined as unknown as string,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resourceIndicator: string, client: { clientId: string }) => ({
          scope: SCOPES,
          audience: resourceIndicator,
          accessTokenFormat: "jwt" as const,
          accessTokenTTL: client.clientId === CLIENTS.brief ? 1 : 600,
        }),
      },
    },
  });
  const server = provider.listen(port);
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once("listening", () => resolve())));
  return {
    issuer,
    async token(client, resource, scope = SCOPES) {
      const response = await fetch(`${issuer}/token`, {
        method: "POST",
        headers: { authorization: `Basic ${Buffer.from(`${client}:${SECRET}`).toString("base64")}`, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", resource, scope }),
      });
      const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
      if (!body.access_token) throw new Error(`no token: ${body.error}: ${body.error_description}`);
      return body.access_token;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface HttpServerProcess {
  /** e.g. http://127.0.0.1:PORT */
  url: string;
  mcpUrl: string;
  child: ChildProcess;
  stderr(): string;
  exited: Promise<number | null>;
  close(): Promise<void>;
}

/** Spawns `serve --http --port PORT ...args` (0: a free port) with `env` and waits until it listens. */
export async function startHttpServer(env: Record<string, string> = {}, args: string[] = [], port = 0): Promise<HttpServerProcess> {
  const home = mkdtempSync(join(tmpdir(), "billing-mcp-home-"));
  const child = spawn(process.execPath, [SERVER_ENTRY, "serve", "--http", "--port", String(port), ...args], {
    env: { ...getDefaultEnvironment(), HOME: home, BILLING_MCP_LOG_LEVEL: "debug", ...clockEnv(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
      const match = /serving MCP over Streamable HTTP at (http:\/\/\S+)\/mcp/.exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening: ${stderr}${stdout}`)));
  });
  return {
    url,
    mcpUrl: `${url}/mcp`,
    child,
    stderr: () => stderr,
    exited,
    async close() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** An SDK client over Streamable HTTP, with a bearer token if given, speaking `era`. */
export async function connectHttp(mcpUrl: string, token?: string, era: Era = "2025"): Promise<Client> {
  const client = new Client({ name: "billing-mcp-http-tests", version: "0.0.0" }, era === "2026" ? { versionNegotiation: { mode: { pin: MODERN_REVISION } } } : {});
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), token ? { authProvider: { token: async () => token } } : {});
  await client.connect(transport);
  return client;
}

/** A raw JSON-RPC POST to /mcp, for the cases an SDK client would not send. */
export async function postMcp(mcpUrl: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(mcpUrl, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export const INITIALIZE = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "0" } } };

export interface RedisProcess {
  url: string;
  /** Stops it (SIGKILL: as if the host went away). */
  kill(): Promise<void>;
}

/** A real redis-server (Debian's) on a free loopback port, no persistence, its files in a temp dir. */
export async function startRedis(): Promise<RedisProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "billing-mcp-redis-"));
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
      if (/Ready to accept connections/.test(output)) resolve();
    });
    child.once("error", reject);
    void exited.then(() => reject(new Error(`redis-server exited: ${output}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/** A load balancer in a few lines: each request goes to the next upstream in turn. */
export async function startRoundRobin(upstreams: () => string[], port = 0): Promise<{ url: string; close(): Promise<void> }> {
  const { createServer: createHttpServer, request } = await import("node:http");
  let next = 0;
  const server = createHttpServer((req, res) => {
    const list = upstreams();
    const target = new URL(req.url ?? "/", list[next++ % list.length]);
    const upstream = request(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
