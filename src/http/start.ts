// `billing-mcp serve --http`: reads HTTP mode's configuration, refuses the unsafe combinations
// (a non-loopback bind or writes without an authorization server), discovers the issuer, and
// serves until SIGTERM/SIGINT, then lets the calls in flight finish.
import { loadConfig } from "../core/config.js";
import { registerSecret } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { ToolDefinition } from "../mcp/tool-definition.js";
import { UsageError } from "../mcp/tool-selection.js";
import { discoverIssuer, jwtVerifier } from "./oauth.js";
import { httpHandler, isLoopbackHost, listenHttp } from "./serve-http.js";
import type { HttpAuth, RunningHttp } from "./serve-http.js";
import type { RedisWriteState } from "../state/redis-write-state.js";

export const DEFAULT_HTTP_HOST = "127.0.0.1";
export const DEFAULT_HTTP_PORT = 8787;

type Env = Record<string, string | undefined>;
const nonEmpty = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v.trim());
const list = (v: string | undefined) => (nonEmpty(v)?.split(",") ?? []).map((s) => s.trim()).filter(Boolean);

export interface HttpCommand {
  host: string | undefined;
  port: string | undefined;
  allowWrites: boolean;
  writeStubs: boolean;
  tools: readonly ToolDefinition[];
}

export interface HttpSettings {
  host: string;
  port: number;
  issuer: string | undefined;
  publicUrl: URL | undefined;
  redisUrl: string | undefined;
  allowedHosts: string[];
  allowedOrigins: string[];
}

/** The settings, or a UsageError naming what to change. */
export function httpSettings(cl: Pick<HttpCommand, "host" | "port" | "allowWrites">, env: Env): HttpSettings {
  const host = cl.host ?? DEFAULT_HTTP_HOST;
  const port = Number(cl.port ?? DEFAULT_HTTP_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number from 0 to 65535, not "${cl.port}"`);
  const issuer = nonEmpty(env.BILLING_MCP_OAUTH_ISSUER);
  const rawPublic = nonEmpty(env.BILLING_MCP_PUBLIC_URL);
  let publicUrl: URL | undefined;
  if (rawPublic) {
    try {
      publicUrl = new URL(rawPublic);
    } catch {
      throw new UsageError(`BILLING_MCP_PUBLIC_URL must be this server's URL as clients reach it, e.g. https://billing.example.com/mcp; got "${rawPublic}"`);
    }
  }
  if (issuer) {
    try {
      new URL(issuer);
    } catch {
      throw new UsageError(`BILLING_MCP_OAUTH_ISSUER must be the authorization server's issuer URL, e.g. https://auth.example.com; got "${issuer}"`);
    }
    if (!publicUrl) throw new UsageError("BILLING_MCP_OAUTH_ISSUER needs BILLING_MCP_PUBLIC_URL too: the URL clients connect to (e.g. https://billing.example.com/mcp), which tokens must name as their audience");
  } else {
    if (!isLoopbackHost(host)) {
      throw new UsageError(`without an authorization server (BILLING_MCP_OAUTH_ISSUER) HTTP mode serves loopback only; --host ${host} would let anyone on the network call the billing tools`);
    }
    if (cl.allowWrites) throw new UsageError("without an authorization server (BILLING_MCP_OAUTH_ISSUER) HTTP mode makes no billing changes: nobody could be told apart in the audit log. Set BILLING_MCP_OAUTH_ISSUER and BILLING_MCP_PUBLIC_URL, or drop --allow-writes");
  }
  return {
    host,
    port,
    issuer,
    publicUrl,
    redisUrl: redisUrl(nonEmpty(env.BILLING_MCP_REDIS_URL)),
    allowedHosts: list(env.BILLING_MCP_ALLOWED_HOSTS),
    allowedOrigins: list(env.BILLING_MCP_ALLOWED_ORIGINS),
  };
}

function redisUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError("BILLING_MCP_REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://redis.internal:6379");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw new UsageError("BILLING_MCP_REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://redis.internal:6379");
  return raw;
}

/** Serves HTTP mode; resolves once listening (the process then runs until a signal). */
export async function serveHttp(cl: HttpCommand, env: Env, logger: Logger): Promise<RunningHttp> {
  const settings = httpSettings(cl, env);
  let auth: HttpAuth | undefined;
  if (settings.issuer && settings.publicUrl) {
    const metadata = await discoverIssuer(settings.issuer);
    auth = { metadata, verifier: jwtVerifier(metadata, settings.publicUrl.href), publicUrl: settings.publicUrl };
  }
  const { auditTarget, createBillingServer, DRAIN_GRACE_MS } = await import("../mcp/server.js");
  const config = loadConfig(env);
  let shared: RedisWriteState | undefined;
  if (settings.redisUrl) {
    // A password in the URL is a secret: never in a log line or an error.
    registerSecret(decodeURIComponent(new URL(settings.redisUrl).password) || undefined);
    const { RedisWriteState } = await import("../state/redis-write-state.js");
    shared = new RedisWriteState(settings.redisUrl, auditTarget(config), config.confirmTtlMs, () => config.clock().getTime(), logger);
    await shared.start();
  }
  const billing = createBillingServer({ config, logger, tools: cl.tools, allowWrites: cl.allowWrites, writeStubs: cl.writeStubs, writeState: shared && (() => shared) });
  const writeTools = new Set(cl.tools.filter((t) => t.access === "write").map((t) => t.name));
  const handler = httpHandler({
    billing,
    logger,
    allowWrites: cl.allowWrites,
    writeTools,
    auth,
    allowedHosts: settings.allowedHosts,
    allowedOrigins: settings.allowedOrigins,
    health: () => billing.writeState.health(),
  });
  const running = await listenHttp(handler, settings.host, settings.port, { logger });
  logger.log("info", `serving MCP over Streamable HTTP at ${running.url}/mcp${auth ? `; tokens from ${settings.issuer} for ${settings.publicUrl?.href}` : " (loopback only, no authorization server: read tools only)"}`);
  if (shared) logger.log("info", `replica mode: confirmation tokens, the duplicate rule, the daily cap and unanswered attempts are shared in Redis (${new URL(settings.redisUrl ?? "").host}); this replica's audit log is ${config.auditLogPath}`);
  else logger.log("info", "one replica: confirmation tokens, the duplicate rule and the daily cap live in this process (set BILLING_MCP_REDIS_URL to share them between replicas)");
  for (const charge of billing.unresolvedCharges) {
    logger.log("warning", `unresolved charge: ${charge}; an earlier process stopped before Viam answered. Check viam_get_invoices_summary before charging that organization again.`);
  }
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return process.exit(1);
    closing = true;
    logger.log("info", `${signal}: no new requests; finishing ${billing.inFlight} call(s) in flight`);
    const closed = running.close();
    const finished = await billing.drain();
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, DRAIN_GRACE_MS))]);
    await billing.close().catch(() => undefined);
    process.exit(finished ? 0 : 1);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  return running;
}
