// The one Latitude.sh API client of a server process: plain fetch with the call's deadline
// and cancellation, retries of reads on 429/5xx, JSON:API bodies validated with zod. With no
// LATITUDESH_BEARER it starts the loopback sandbox once, lazily, and talks HTTP to it.
import { z } from "zod";
import { Code } from "@connectrpc/connect";
import type { Config } from "../core/config.js";
import { describeLatitudeFailure, redact, registerSecret, ToolError } from "../core/errors.js";
import type { LatitudeFailure } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { backOff } from "../core/retry.js";
import type { RetryPolicy } from "../core/retry.js";
import type { LatitudeSandbox } from "../sandbox/latitude-sandbox.js";

/** Reads on 429, 5xx and network failures. */
const LATITUDE_RETRY: RetryPolicy = { baseMs: 200, maxTries: 4 };
export const LATITUDE_MAX_TRIES = LATITUDE_RETRY.maxTries;
/** A Retry-After longer than this is not waited out inside a tool call; the error says how long. */
const MAX_RETRY_AFTER_MS = 5000;
const JSON_API = "application/vnd.api+json";

const dateTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be a date-time");
// Only what we show is required; everything else Latitude may omit or null without breaking us.
const product = z.object({
  id: z.string(),
  resource: z.string().nullish(),
  name: z.string().nullish(),
  unit: z.string().nullish(),
  quantity: z.number().nullish(),
  unit_price: z.number().nullish(),
  amount_without_discount: z.number().nullish(),
  price: z.number(),
  discounts: z.array(z.object({ description: z.string().nullish(), type: z.string(), value: z.number() })).nullish(),
  metadata: z.object({ hostname: z.string().nullish(), plan: z.string().nullish() }).nullish(),
});
const billingUsageDocument = z.object({
  data: z.object({
    attributes: z.object({
      project: z.object({ id: z.string(), slug: z.string().nullish(), name: z.string().nullish() }),
      period: z.object({ start: dateTime, end: dateTime }),
      available_credit_balance: z.number().nullish(),
      price: z.number(),
      threshold: z.number().nullish(),
      products: z.array(product),
    }),
  }),
});
/** data.attributes of GET /billing/usage; amounts in cents. */
export type LatitudeBillingUsage = z.infer<typeof billingUsageDocument>["data"]["attributes"];

const projectsPage = z.object({
  data: z.array(z.object({ id: z.string(), attributes: z.object({ name: z.string().nullish(), slug: z.string().nullish() }).nullish() })),
});
export interface LatitudeProject {
  id: string;
  name: string | null;
  slug: string | null;
}
/** GET /projects is paged; this many per page, and at most this many pages (a reseller's worth). */
const PROJECTS_PAGE_SIZE = 100;
const MAX_PROJECT_PAGES = 10;

export interface BillingUsageQuery {
  project: string;
  products?: readonly string[];
  plan?: string;
}

export interface LatitudeCallOptions {
  timeoutMs: number;
  signal: AbortSignal;
}

export class LatitudeClient {
  private sandbox: Promise<LatitudeSandbox> | undefined;
  /** The token's projects, listed once per process; a failed listing is not kept. */
  private projectList: Promise<LatitudeProject[]> | undefined;

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  async billingUsage(query: BillingUsageQuery, options: LatitudeCallOptions): Promise<LatitudeBillingUsage> {
    const params = new URLSearchParams({ "filter[project]": query.project });
    for (const id of query.products ?? []) params.append("filter[products][]", id);
    if (query.plan !== undefined) params.set("filter[plan]", query.plan);
    const what = `billing usage of project "${query.project}"`;
    const body = await this.get(`/billing/usage?${params}`, what, options);
    const parsed = billingUsageDocument.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const detail = issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "unexpected shape";
      throw describeLatitudeFailure({ kind: "malformed", detail }, what, options.timeoutMs);
    }
    return parsed.data.data.attributes;
  }

  /** Every project the token sees (GET /projects, all pages), once per process. */
  projects(options: LatitudeCallOptions): Promise<LatitudeProject[]> {
    this.projectList ??= this.listProjects(options).catch((err: unknown) => {
      this.projectList = undefined;
      throw err;
    });
    return this.projectList;
  }

  private async listProjects(options: LatitudeCallOptions): Promise<LatitudeProject[]> {
    const projects: LatitudeProject[] = [];
    for (let page = 1; page <= MAX_PROJECT_PAGES; page++) {
      const params = new URLSearchParams({ "page[size]": String(PROJECTS_PAGE_SIZE), "page[number]": String(page) });
      const what = "the list of Latitude.sh projects";
      const parsed = projectsPage.safeParse(await this.get(`/projects?${params}`, what, options));
      if (!parsed.success) throw describeLatitudeFailure({ kind: "malformed", detail: parsed.error.issues[0]?.message ?? "unexpected shape" }, what, options.timeoutMs);
      projects.push(...parsed.data.data.map((p) => ({ id: p.id, name: p.attributes?.name ?? null, slug: p.attributes?.slug ?? null })));
      if (parsed.data.data.length < PROJECTS_PAGE_SIZE) return projects;
    }
    this.logger.log("warning", `the Latitude.sh token sees more than ${PROJECTS_PAGE_SIZE * MAX_PROJECT_PAGES} projects; the overview covers the first ${projects.length}`);
    return projects;
  }

  async close(): Promise<void> {
    const sandbox = this.sandbox;
    this.sandbox = undefined;
    if (sandbox) await (await sandbox).close().catch(() => undefined);
  }

  /** GET with the call's deadline over all tries; reads are safe to retry on 429 and 5xx. */
  private async get(pathAndQuery: string, what: string, options: LatitudeCallOptions): Promise<unknown> {
    const fail = (failure: LatitudeFailure) => describeLatitudeFailure(failure, what, options.timeoutMs);
    const target = await this.target();
    const deadline = Date.now() + options.timeoutMs;
    for (let tries = 1; ; tries++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw fail({ kind: "timeout" });
      let failure: LatitudeFailure;
      let retryAfterMs: number | undefined;
      try {
        const response = await fetch(`${target.serverUrl}${pathAndQuery}`, {
          // Latitude takes the token as the whole header value, as its own Go client sends it.
          headers: { Authorization: target.token, Accept: JSON_API },
          signal: AbortSignal.any([options.signal, AbortSignal.timeout(remaining)]),
        });
        const text = await response.text();
        if (response.ok) {
          try {
            return JSON.parse(text) as unknown;
          } catch {
            throw fail({ kind: "malformed", detail: "not JSON" });
          }
        }
        retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
        const retryAfterSeconds = retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000);
        failure = { kind: "status", status: response.status, detail: errorDetail(text), tries, retryAfterSeconds };
      } catch (err) {
        if (err instanceof ToolError) throw err;
        if (options.signal.aborted) throw fail({ kind: "cancelled" });
        if ((err as { name?: unknown } | null)?.name === "TimeoutError") throw fail({ kind: "timeout" });
        failure = { kind: "network", detail: networkDetail(err), tries };
      }
      const transient = failure.kind === "network" || (failure.kind === "status" && (failure.status === 429 || failure.status >= 500));
      if (!transient || (retryAfterMs ?? 0) > MAX_RETRY_AFTER_MS) throw fail(failure);
      const reason = failure.kind === "status" ? `HTTP ${failure.status}` : failure.detail;
      const again = await backOff({ policy: LATITUDE_RETRY, tries, deadline, signal: options.signal, logger: this.logger, what, reason, waitMs: retryAfterMs });
      if (!again) throw fail(failure);
      if (options.signal.aborted) throw fail({ kind: "cancelled" });
    }
  }

  private async target(): Promise<{ serverUrl: string; token: string }> {
    const latitude = this.config.latitude;
    if (latitude.kind === "misconfigured") throw new ToolError(latitude.problem, Code.InvalidArgument);
    if (latitude.kind === "live") return latitude;
    this.sandbox ??= import("../sandbox/latitude-sandbox.js").then(({ startLatitudeSandbox }) => startLatitudeSandbox({ clock: this.config.clock }));
    const sandbox = await this.sandbox;
    registerSecret(sandbox.token);
    return { serverUrl: sandbox.url, token: sandbox.token };
  }
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** The human part of a JSON:API error body (errors[].title/detail); nothing from HTML pages. */
function errorDetail(body: string): string {
  try {
    const { errors } = JSON.parse(body) as { errors?: { title?: unknown; detail?: unknown }[] };
    if (!Array.isArray(errors)) return "";
    const parts = errors.flatMap((e) => [e.title, e.detail].filter((s): s is string => typeof s === "string" && s !== ""));
    // Redacted before it is cut: a cut can leave a secret's head that no longer reads as the secret.
    return redact(parts.join(": ").replace(/[.\s]+$/, "")).slice(0, 300);
  } catch {
    return "";
  }
}

function networkDetail(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return err instanceof Error ? err.message : String(err);
}
