// One place that turns whatever went wrong into a message a model can act on.
// Nothing here ever includes a stack trace, an API key or a token.
import { Code } from "@connectrpc/connect";

/** An error whose message is written for the user: what happened and what to do. */
export class ToolError extends Error {
  override name = "ToolError";
  constructor(message: string, readonly code?: Code) {
    super(message);
  }
}

/** The parts of a ConnectError we rely on. Duck-typed: the Viam SDK bundles its own copy of connect. */
export interface RpcFailure {
  code: Code;
  rawMessage: string;
}

export function asRpcFailure(err: unknown): RpcFailure | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const { code, rawMessage, message } = err as { code?: unknown; rawMessage?: unknown; message?: unknown };
  if (typeof code !== "number" || !(code in Code)) return undefined;
  const text = typeof rawMessage === "string" ? rawMessage : typeof message === "string" ? message : "";
  // A refused or dropped connection is an outage: connect-web reports it as UNKNOWN "fetch
  // failed", connect-node a reset (e.g. a keep-alive connection the server closed) as ABORTED.
  if ((code === Code.Unknown || code === Code.Aborted) && /fetch failed|ECONNREFUSED|ECONNRESET|socket hang up|network/i.test(text)) {
    return { code: Code.Unavailable, rawMessage: "could not connect" };
  }
  return { code: code as Code, rawMessage: text };
}

const CREDENTIAL_VARS = "VIAM_API_KEY_ID and VIAM_API_KEY";

/**
 * The message of a TLS certificate check that failed on our side (Node's codes such as
 * DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID), in the error
 * or its causes. connect reports it as INTERNAL with the bare message, which would read as if
 * Viam had said it.
 */
function certificateProblem(err: unknown): string | undefined {
  for (let e = err, depth = 0; typeof e === "object" && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === "string" && /CERT|SELF_SIGNED|ERR_TLS/.test(code)) return typeof message === "string" ? message : code;
  }
  return undefined;
}

/** Describe an upstream Viam failure; `what` names the request, e.g. `usage for org "org-1"`. */
export function describeViamFailure(err: unknown, what: string, timeoutMs: number): ToolError {
  if (err instanceof ToolError) return err;
  const certificate = certificateProblem(err);
  if (certificate) {
    return new ToolError(
      `Could not verify the TLS certificate of VIAM_SERVICE_HOST for ${what} (${redact(certificate)}); nothing was sent. Check VIAM_SERVICE_HOST; behind a proxy that intercepts TLS, trust its CA with NODE_EXTRA_CA_CERTS.`,
      Code.Unavailable,
    );
  }
  const failure = asRpcFailure(err);
  if (!failure) {
    return new ToolError(`Viam request for ${what} failed: ${redact(errorText(err))}. Check VIAM_SERVICE_HOST and the network, then retry.`);
  }
  const detail = redact(failure.rawMessage);
  const said = detail ? ` (Viam said: ${detail})` : "";
  switch (failure.code) {
    case Code.Unauthenticated:
      return new ToolError(
        `Viam rejected the credentials${said}. Set ${CREDENTIAL_VARS} to a valid API key id and key (Viam app > organization settings > API keys), then restart the server.`,
        failure.code,
      );
    case Code.PermissionDenied:
      return new ToolError(
        `Permission denied for ${what}${said}. Billing calls need an API key with organization-owner permissions on that organization; use an owner key or another org_id.`,
        failure.code,
      );
    case Code.NotFound:
      return new ToolError(`Not found: ${what}${said}. ${notFoundHint(what, failure.rawMessage)}`, failure.code);
    case Code.InvalidArgument:
      return new ToolError(`Viam refused the arguments for ${what}${said}. Correct them and call again.`, failure.code);
    case Code.DeadlineExceeded:
      return new ToolError(
        `Viam did not answer ${what} within ${formatSeconds(timeoutMs)}. Retry, or pass a larger timeout (seconds).`,
        failure.code,
      );
    case Code.Canceled:
      return new ToolError(`The request for ${what} was cancelled.`, failure.code);
    case Code.Unavailable:
      return new ToolError(
        `Viam is unavailable for ${what}${said}. Check VIAM_SERVICE_HOST and the network, then retry in a moment.`,
        failure.code,
      );
    case Code.ResourceExhausted:
      return new ToolError(`Viam is rate-limiting ${what}${said}. Wait a little and retry.`, failure.code);
    case Code.Unimplemented:
      return new ToolError(`This Viam service does not implement the RPC for ${what}${said}. It may be an older deployment.`, failure.code);
    default:
      return new ToolError(`Viam failed on ${what}: ${Code[failure.code]}${said}. Retry; if it persists, report it.`, failure.code);
  }
}

const LISTS_IDS = {
  org: "viam_list_organizations lists the organization ids this API key can see",
  invoice: "viam_get_invoices_summary lists an organization's invoice ids",
  location: "no tool lists locations: look the location id up in the Viam app",
} as const;

/**
 * Which tool lists valid ids, for the kind of thing not found: the first one Viam's message
 * names (`invoice "x" not found in organization "y"`), else every kind the request was about.
 */
function notFoundHint(what: string, rawMessage: string): string {
  const PATTERNS = { org: /\borg(anization)?\b/i, invoice: /\binvoice\b/i, location: /\blocation\b/i } as const;
  const kinds = (text: string) =>
    (Object.keys(PATTERNS) as (keyof typeof PATTERNS)[])
      .map((kind) => ({ kind, at: text.search(PATTERNS[kind]) }))
      .filter((k) => k.at >= 0)
      .sort((a, b) => a.at - b.at)
      .map((k) => k.kind);
  const about = kinds(rawMessage).slice(0, 1);
  const hints = (about.length ? about : kinds(what)).map((kind) => LISTS_IDS[kind]);
  return `Check the id${hints.length ? `; ${hints.join("; ")}` : ""}.`;
}

/** What can go wrong on a Latitude.sh request, as src/latitude/client.ts observed it. */
export type LatitudeFailure =
  | { kind: "status"; status: number; detail: string; tries: number; retryAfterSeconds?: number }
  | { kind: "network"; detail: string; tries: number }
  | { kind: "malformed"; detail: string }
  | { kind: "timeout" }
  | { kind: "cancelled" };

/** Describe a Latitude.sh failure; `what` names the request, e.g. `billing usage of project "web-prod"`. */
export function describeLatitudeFailure(failure: LatitudeFailure, what: string, timeoutMs: number): ToolError {
  if (failure.kind === "timeout") {
    return new ToolError(`Latitude.sh did not answer ${what} within ${formatSeconds(timeoutMs)}. Retry, or pass a larger timeout (seconds).`, Code.DeadlineExceeded);
  }
  if (failure.kind === "cancelled") return new ToolError(`The request for ${what} was cancelled.`, Code.Canceled);
  if (failure.kind === "malformed") {
    return new ToolError(
      `Latitude.sh answered ${what} with a body billing-mcp cannot read (${redact(failure.detail)}). Check that LATITUDESH_SERVER_URL points at the Latitude.sh API; if it does, the API may have changed: report it.`,
      Code.DataLoss,
    );
  }
  const tries = failure.tries > 1 ? ` after ${failure.tries} tries` : "";
  if (failure.kind === "network") {
    return new ToolError(`Could not reach Latitude.sh for ${what}${tries} (${redact(failure.detail)}). Check LATITUDESH_SERVER_URL and the network, then retry.`, Code.Unavailable);
  }
  const detail = redact(failure.detail);
  const said = detail ? ` (Latitude.sh said: ${detail})` : "";
  const { status } = failure;
  if (status === 401) {
    return new ToolError(
      `Latitude.sh rejected the API token (HTTP 401)${said}. Set LATITUDESH_BEARER to a valid API token (Latitude.sh dashboard > API keys), then restart the server.`,
      Code.Unauthenticated,
    );
  }
  if (status === 403) {
    return new ToolError(
      `Latitude.sh refused access to ${what} (HTTP 403)${said}. The token in LATITUDESH_BEARER lacks permission for this project: use a token of the team that owns it, or another project.`,
      Code.PermissionDenied,
    );
  }
  if (status === 404) return new ToolError(`Not found: ${what} (HTTP 404)${said}. Check the project id or slug.`, Code.NotFound);
  if (status === 429) {
    const wait = failure.retryAfterSeconds !== undefined ? `; it asked to wait ${failure.retryAfterSeconds} s` : "";
    return new ToolError(`Latitude.sh is rate-limiting ${what} (HTTP 429${tries}${wait})${said}. Wait a minute and retry.`, Code.ResourceExhausted);
  }
  if (status >= 500) {
    return new ToolError(
      `Latitude.sh failed on ${what} (HTTP ${status}${tries})${said}. It is probably a temporary problem on their side: retry in a moment; if it persists, check LATITUDESH_SERVER_URL and status.latitude.sh.`,
      Code.Unavailable,
    );
  }
  return new ToolError(`Latitude.sh refused the request for ${what} (HTTP ${status})${said}. Correct the arguments and call again.`, Code.InvalidArgument);
}

export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message.split("\n")[0] ?? err.name;
  return String(err).split("\n")[0] ?? "";
}

// Secrets never leave the process: every string we show passes through here. A secret is
// masked wherever it stands and in any letter case, and so is a prefix of it as short as
// SECRET_PREFIX characters, which is what an upstream message cut at some length shows.
export const SECRET_PREFIX = 12;
const MAX_NESTED = 256;
const secrets = new Map<string, RegExp>();
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < 4 || secrets.has(value)) return;
  // The whole secret, else its head followed by each further character optional in turn
  // (the longest prefix that matches), nested at most MAX_NESTED deep.
  const head = Math.min(SECRET_PREFIX, value.length);
  let tail = "";
  for (let i = Math.min(value.length, MAX_NESTED) - 1; i >= head; i--) tail = `(?:${escapeRegExp(value[i] as string)}${tail})?`;
  secrets.set(value, new RegExp(`${escapeRegExp(value)}|${escapeRegExp(value.slice(0, head))}${tail}`, "gi"));
}
export function redact(text: string): string {
  let out = text.replace(/\bBearer\s+[A-Za-z0-9._~+/=-]+/gi, "Bearer [redacted]");
  for (const pattern of secrets.values()) out = out.replace(pattern, "[redacted]");
  return out;
}
