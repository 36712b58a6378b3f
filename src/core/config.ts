// Configuration comes from the environment only; read once at start-up.
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { clockFromEnv } from "./clock.js";
import type { Clock } from "./clock.js";
import { registerSecret } from "./errors.js";

export type ViamTarget =
  | { kind: "live"; serviceHost: string; apiKeyId: string; apiKey: string }
  | { kind: "sandbox" }
  | { kind: "misconfigured"; problem: string };

export type LatitudeTarget =
  | { kind: "live"; serverUrl: string; token: string }
  | { kind: "sandbox" }
  | { kind: "misconfigured"; problem: string };

export interface Config {
  viam: ViamTarget;
  defaultOrgId: string | undefined;
  latitude: LatitudeTarget;
  /** LATITUDESH_PROJECT: project id or slug used when a call names none. */
  defaultLatitudeProject: string | undefined;
  defaultTimeoutMs: number;
  /** An invoice PDF larger than this is not served as an MCP resource (the tool saves it instead). */
  resourceMaxBytes: number;
  /** Invoice PDFs are only ever written inside this directory. */
  downloadDir: string;
  /** Every write attempt is appended here (JSON lines) before and after its RPC. */
  auditLogPath: string;
  /** A charge whose total exceeds this (USD) is refused at preview. */
  maxChargeUsd: number;
  /** The sum charged (or possibly charged) to one organization over any 24 hours may not exceed this (USD). */
  maxDailyChargeUsd: number;
  /** How long a confirmation token (and an elicitation prompt) stays valid. */
  confirmTtlMs: number;
  /** "Now" for everything that depends on the date (BILLING_MCP_NOW pins its start). */
  clock: Clock;
}

export const DEFAULT_VIAM_HOST = "https://app.viam.com";
export const DEFAULT_LATITUDE_URL = "https://api.latitude.sh";
export const DEFAULT_TIMEOUT_SECONDS = 30;
export const DEFAULT_MAX_CHARGE_USD = 1000;
export const DEFAULT_MAX_DAILY_CHARGE_USD = 2000;
export const DEFAULT_CONFIRM_TTL_SECONDS = 300;
// Long enough to confirm by hand (1 s only for tests and drills), short enough that a
// forgotten preview does not stay confirmable for days.
export const MIN_CONFIRM_TTL_SECONDS = 1;
export const MAX_CONFIRM_TTL_SECONDS = 3600;
export const DEFAULT_RESOURCE_MAX_BYTES = 5 * 1024 * 1024;

/** Why a write tool is not served, said one way wherever it is said (tool call, listing, CLI); no tool name: "it". */
export function writesDisabled(tool?: string): string {
  return `${tool === undefined ? "it" : `"${tool}"`} changes billing and needs --allow-writes (or BILLING_MCP_ALLOW_WRITES=true)`;
}

type Env = Record<string, string | undefined>;

const nonEmpty = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v.trim());

export function loadConfig(env: Env = process.env): Config {
  const apiKey = nonEmpty(env.VIAM_API_KEY);
  const apiKeyId = nonEmpty(env.VIAM_API_KEY_ID);
  registerSecret(apiKey);
  // The key id is half of the credential: shown nowhere either.
  registerSecret(apiKeyId);
  const serviceHost = (nonEmpty(env.VIAM_SERVICE_HOST) ?? DEFAULT_VIAM_HOST).replace(/\/+$/, "");

  let viam: ViamTarget;
  if (!apiKey && !apiKeyId) viam = { kind: "sandbox" };
  else if (!apiKey || !apiKeyId) {
    const missing = apiKey ? "VIAM_API_KEY_ID" : "VIAM_API_KEY";
    viam = {
      kind: "misconfigured",
      problem: `${missing} is not set. Set both VIAM_API_KEY_ID and VIAM_API_KEY (an organization-owner API key), or neither to use the sandbox.`,
    };
  } else if (!/^https?:\/\/[^\s/]+/.test(serviceHost)) {
    viam = { kind: "misconfigured", problem: `VIAM_SERVICE_HOST must be an http(s) URL such as ${DEFAULT_VIAM_HOST}.` };
  } else viam = { kind: "live", serviceHost, apiKeyId, apiKey };

  return {
    viam,
    defaultOrgId: nonEmpty(env.VIAM_ORG_ID),
    latitude: latitudeTarget(env),
    defaultLatitudeProject: nonEmpty(env.LATITUDESH_PROJECT),
    defaultTimeoutMs: DEFAULT_TIMEOUT_SECONDS * 1000,
    resourceMaxBytes: Math.ceil(positiveNumber(env, "BILLING_MCP_RESOURCE_MAX_BYTES", DEFAULT_RESOURCE_MAX_BYTES)),
    downloadDir: resolve(nonEmpty(env.BILLING_MCP_DOWNLOAD_DIR) ?? join(homedir(), "Downloads", "billing-mcp")),
    auditLogPath: resolve(nonEmpty(env.BILLING_MCP_AUDIT_LOG) ?? join(nonEmpty(env.XDG_STATE_HOME) ?? join(homedir(), ".local", "state"), "billing-mcp", "audit.jsonl")),
    maxChargeUsd: positiveNumber(env, "BILLING_MCP_MAX_CHARGE", DEFAULT_MAX_CHARGE_USD),
    maxDailyChargeUsd: positiveNumber(env, "BILLING_MCP_MAX_DAILY_CHARGE", DEFAULT_MAX_DAILY_CHARGE_USD),
    confirmTtlMs: numberWithin(env, "BILLING_MCP_CONFIRM_TTL_SECONDS", DEFAULT_CONFIRM_TTL_SECONDS, MIN_CONFIRM_TTL_SECONDS, MAX_CONFIRM_TTL_SECONDS) * 1000,
    clock: clockFromEnv(env.BILLING_MCP_NOW),
  };
}

function latitudeTarget(env: Env): LatitudeTarget {
  const token = nonEmpty(env.LATITUDESH_BEARER);
  registerSecret(token);
  if (!token) return { kind: "sandbox" };
  const serverUrl = (nonEmpty(env.LATITUDESH_SERVER_URL) ?? DEFAULT_LATITUDE_URL).replace(/\/+$/, "");
  if (!/^https?:\/\/[^\s/]+/.test(serverUrl)) {
    return { kind: "misconfigured", problem: `LATITUDESH_SERVER_URL must be an http(s) URL such as ${DEFAULT_LATITUDE_URL}.` };
  }
  return { kind: "live", serverUrl, token };
}

// A limit must not silently fall back to a default when mistyped.
function positiveNumber(env: Env, name: string, fallback: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number; got "${raw}".`);
  return value;
}

function numberWithin(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name} must be a number of seconds from ${min} to ${max}; got "${raw}".`);
  return value;
}
