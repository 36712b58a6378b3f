// HTTP mode: Streamable HTTP at /mcp through the SDK's createMcpHandler (stateless: every
// request gets a fresh McpServer from the billing factory, 2026-07-28 requests on the modern
// path and 2025-11-25 ones through its stateless legacy fallback), mounted on node:http with
// the SDK's Node adapter. In front of it, in this order: the body limit (the adapter), Host and
// Origin checks against DNS rebinding, the bearer-token gate when an issuer is configured.
// /healthz answers load balancers; the OAuth discovery documents are served beside /mcp.
import { createServer } from "node:http";
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  bearerAuthChallengeResponse,
  buildOAuthProtectedResourceMetadata,
  createMcpHandler,
  getOAuthProtectedResourceMetadataUrl,
  hostHeaderValidationResponse,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  OAuthError,
  OAuthErrorCode,
  oauthMetadataResponse,
  originValidationResponse,
  requireBearerAuth,
} from "@modelcontextprotocol/server";
import type { AuthInfo, AuthMetadataOptions, McpRequestContext } from "@modelcontextprotocol/server";
import { toNodeHandler } from "@modelcontextprotocol/node";
import type { Logger } from "../core/logger.js";
import type { BillingServer } from "../mcp/server.js";
import { principalOf, READ_SCOPE, WRITE_SCOPE } from "./oauth.js";
import type { OAuthTokenVerifier, OAuthMetadata } from "@modelcontextprotocol/server";

/** Our largest tool call is a few kilobytes; a megabyte leaves room and bounds what a client can make us buffer. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface HttpAuth {
  metadata: OAuthMetadata;
  verifier: OAuthTokenVerifier;
  /** BILLING_MCP_PUBLIC_URL: the resource tokens must be issued for. */
  publicUrl: URL;
}

export interface HttpOptions {
  billing: BillingServer;
  logger: Logger;
  /** Write tools exist on this server (--allow-writes); a token still needs billing:write to see and call them. */
  allowWrites: boolean;
  /** The names of the write tools served, to answer a call to one from a token without billing:write with 403. */
  writeTools: ReadonlySet<string>;
  auth?: HttpAuth;
  /** Host header names accepted besides the loopback ones (the public URL's host is added). */
  allowedHosts?: readonly string[];
  /** Origin host names accepted besides the loopback ones (the public URL's host is added). */
  allowedOrigins?: readonly string[];
  maxBodyBytes?: number;
  /** What /healthz reports about shared state (e.g. "redis" or "in-process"). */
  health?: () => Promise<Record<string, unknown>>;
}

export interface RunningHttp {
  server: HttpServer;
  url: string;
  close(): Promise<void>;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

export function httpHandler(options: HttpOptions): (request: Request) => Promise<Response> {
  const { billing, logger, auth } = options;
  const publicHost = auth?.publicUrl.hostname;
  const hosts = [...localhostAllowedHostnames(), ...(options.allowedHosts ?? []), ...(publicHost ? [publicHost] : [])];
  const origins = [...localhostAllowedOrigins(), ...(options.allowedOrigins ?? []), ...(publicHost ? [publicHost] : [])];
  const mcp = createMcpHandler(
    (ctx: McpRequestContext) => {
      const scopes = new Set(ctx.authInfo?.scopes ?? []);
      // Without an issuer writes are off (start-up refuses --allow-writes) and listed as disabled stubs, as over stdio;
      // with one, a token without billing:write is shown no write tools at all.
      return billing.createServer({ principal: principalOf(ctx.authInfo), writes: !auth || scopes.has(WRITE_SCOPE), elicitation: false });
    },
    { onerror: (err) => logger.log("debug", `MCP over HTTP: ${err.message}`), maxRequestBodySize: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES },
  );
  const resourceMetadataUrl = auth && getOAuthProtectedResourceMetadataUrl(auth.publicUrl);
  const metadataOptions: AuthMetadataOptions | undefined = auth && {
    oauthMetadata: auth.metadata,
    resourceServerUrl: auth.publicUrl,
    scopesSupported: options.allowWrites ? [READ_SCOPE, WRITE_SCOPE] : [READ_SCOPE],
    resourceName: "billing-mcp",
    // Loopback issuers (tests, a local set-up) are plain http; anything else must be https (checked at start-up).
    dangerouslyAllowInsecureIssuerUrl: isLoopbackUrl(auth.metadata.issuer),
  };
  const gate = auth && requireBearerAuth({ verifier: auth.verifier, requiredScopes: [READ_SCOPE], resourceMetadataUrl, expectedResource: auth.publicUrl });

  return async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") {
      return json(200, { status: "ok", ...(await options.health?.().catch((err: unknown) => ({ state: `unavailable: ${err instanceof Error ? err.message : String(err)}` }))) });
    }
    if (metadataOptions) {
      const document = oauthMetadataResponse(request, metadataOptions);
      if (document) return document;
      // The path-aware location (RFC 9728 section 3.1) is served above; clients that probe the root get the same document.
      if (url.pathname === "/.well-known/oauth-protected-resource" && request.method === "GET") {
        return json(200, buildOAuthProtectedResourceMetadata(metadataOptions), { "access-control-allow-origin": "*" });
      }
    }
    if (url.pathname !== "/mcp") return json(404, { error: "not found: the MCP endpoint is /mcp" });
    const rejected = hostHeaderValidationResponse(request, hosts) ?? originValidationResponse(request, origins);
    if (rejected) {
      logger.log("warning", `refused a request to /mcp with Host ${request.headers.get("host") ?? "(none)"} and Origin ${request.headers.get("origin") ?? "(none)"}`);
      return rejected;
    }
    let authInfo: AuthInfo | undefined;
    if (gate) {
      const verified = await gate(request);
      if (verified instanceof Response) return verified;
      authInfo = verified;
      if (!authInfo.scopes.includes(WRITE_SCOPE) && (await callsWriteTool(request, options.writeTools))) {
        return bearerAuthChallengeResponse(new OAuthError(OAuthErrorCode.InsufficientScope, `write tools need the ${WRITE_SCOPE} scope`), { requiredScopes: [READ_SCOPE, WRITE_SCOPE], resourceMetadataUrl });
      }
    }
    return mcp.fetch(request, { authInfo });
  };
}

/**
 * Whether the body is a tools/call (or a batch holding one) of a write tool. A token without
 * billing:write is not shown those tools, so the SDK would answer "not found"; the spec's
 * answer to a missing scope is 403 insufficient_scope with the scopes to ask for.
 */
async function callsWriteTool(request: Request, writeTools: ReadonlySet<string>): Promise<boolean> {
  if (request.method !== "POST" || writeTools.size === 0) return false;
  let body: unknown;
  try {
    body = await request.clone().json();
  } catch {
    return false; // the SDK answers a body that is not JSON
  }
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((m) => {
    const message = m as { method?: unknown; params?: { name?: unknown } } | null;
    return message?.method === "tools/call" && typeof message.params?.name === "string" && writeTools.has(message.params.name);
  });
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** Listens on host:port (port 0: a free one) and serves `handler` there. */
export async function listenHttp(handler: (request: Request) => Promise<Response>, host: string, port: number, options: { maxBodyBytes?: number; logger: Logger }): Promise<RunningHttp> {
  const node = toNodeHandler({ fetch: (request) => handler(request) }, { maxRequestBodySize: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, onerror: (err) => options.logger.log("error", `HTTP: ${err.message}`) });
  const server = createServer((req, res) => void node(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${shown}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
