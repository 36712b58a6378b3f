// A loopback Latitude.sh API serving GET /billing/usage from latitude-data.ts, so the server
// and the tests speak real HTTP to something that behaves like api.latitude.sh: JSON:API
// bodies, the token as the whole Authorization header, 401/404 as Latitude answers them,
// plus fault injection for the error paths.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { systemClock } from "../core/clock.js";
import type { Clock } from "../core/clock.js";
import { filterSandboxProducts, LATITUDE_SANDBOX_PROJECTS, sandboxPeriod, sandboxProjectAt } from "./latitude-data.js";

export interface LatitudeFaults {
  /** Answer the next requests with these statuses, one each, before serving normally again. */
  statuses: number[];
  /** Retry-After header sent with a forced 429 or 503. */
  retryAfter: string | undefined;
  /** Answer the next request 200 with a body that is not JSON, or JSON of the wrong shape. */
  malformed: "invalid-json" | "wrong-shape" | undefined;
  /** Delay every answer by this many milliseconds. */
  delayMs: number;
  /**
   * Answer the next request 403 with an error detail quoting the token it came with in every
   * position (bare, in JSON, as a parameter, upper-cased), and once more where a cut at 300
   * characters leaves only its first 20.
   */
  quoteToken: boolean;
  /** Back to no faults at all. */
  reset(): void;
}

export interface RecordedRequest {
  /** Path and query exactly as received. */
  url: string;
  authorization: string | undefined;
  accept: string | undefined;
}

export interface LatitudeSandbox {
  url: string;
  token: string;
  faults: LatitudeFaults;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface LatitudeSandboxOptions {
  token?: string;
  /** Clock for the billing period; the system clock by default. */
  clock?: Clock;
}

const JSON_API = "application/vnd.api+json";

/** Latitude's date-time style: 2025-12-24T15:56:32+00:00. */
const latitudeTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "+00:00");

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": JSON_API, ...headers });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

const apiError = (status: number, title: string, detail: string) => ({ errors: [{ status: String(status), title, detail }] });

const FORCED: Record<number, string> = { 401: "Unauthorized", 403: "Forbidden", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable" };

export async function startLatitudeSandbox(options: LatitudeSandboxOptions = {}): Promise<LatitudeSandbox> {
  const token = options.token ?? `lat_sandbox_${randomBytes(16).toString("hex")}`;
  const now = options.clock ?? systemClock;
  const noFaults = (): Omit<LatitudeFaults, "reset"> => ({ statuses: [], retryAfter: undefined, malformed: undefined, delayMs: 0, quoteToken: false });
  const faults: LatitudeFaults = {
    ...noFaults(),
    reset() {
      Object.assign(faults, noFaults());
    },
  };
  const requests: RecordedRequest[] = [];

  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? "", authorization: req.headers.authorization, accept: req.headers.accept });
    setTimeout(() => {
      if (res.destroyed) return;
      if (faults.quoteToken) {
        faults.quoteToken = false;
        const quoted = req.headers.authorization ?? "";
        const title = "Forbidden";
        const head = `token ${quoted} is not valid; {"token":"${quoted}"}; session=${quoted}; ${quoted.toUpperCase()}; `;
        // errors[].title + ": " + detail, as the client joins them: the last quote starts 20 characters before 300.
        const detail = head + "x".repeat(Math.max(0, 280 - title.length - 2 - head.length)) + quoted + " was revoked";
        return send(res, 403, apiError(403, title, detail));
      }
      const forced = faults.statuses.shift();
      if (forced !== undefined) {
        const retry: Record<string, string> = faults.retryAfter && (forced === 429 || forced === 503) ? { "retry-after": faults.retryAfter } : {};
        return send(res, forced, apiError(forced, FORCED[forced] ?? "Error", "Injected by the sandbox."), retry);
      }
      if (req.headers.authorization !== token) {
        return send(res, 401, apiError(401, "Unauthorized", "The API key is invalid or missing."));
      }
      const url = new URL(req.url ?? "/", "http://sandbox");
      if (req.method === "GET" && url.pathname === "/projects") {
        const size = Math.min(Math.max(Number(url.searchParams.get("page[size]") ?? 20) || 20, 1), 100);
        const number = Math.max(Number(url.searchParams.get("page[number]") ?? 1) || 1, 1);
        const page = LATITUDE_SANDBOX_PROJECTS.slice((number - 1) * size, number * size);
        return send(res, 200, { data: page.map((p) => ({ id: p.id, type: "projects", attributes: { name: p.name, slug: p.slug, billing_type: "Normal" } })), meta: {} });
      }
      if (req.method !== "GET" || url.pathname !== "/billing/usage") return send(res, 404, apiError(404, "Not Found", `No route ${req.method} ${url.pathname}.`));
      const projectKey = url.searchParams.get("filter[project]");
      if (!projectKey) return send(res, 400, apiError(400, "Bad Request", "filter[project] is required."));
      const at = now();
      const project = sandboxProjectAt(projectKey, at);
      if (!project) {
        const known = LATITUDE_SANDBOX_PROJECTS.map((p) => `${p.id} (${p.slug})`).join(", ");
        return send(res, 404, apiError(404, "Not Found", `Project ${projectKey} not found. Sandbox projects: ${known}.`));
      }
      const malformed = faults.malformed;
      faults.malformed = undefined;
      if (malformed === "invalid-json") return send(res, 200, "<html>upstream proxy error</html>");
      if (malformed === "wrong-shape") return send(res, 200, { data: { id: "", type: "billing_usage", attributes: { price: "a lot" } } });

      const products = filterSandboxProducts(project, { products: url.searchParams.getAll("filter[products][]"), plan: url.searchParams.get("filter[plan]") ?? undefined });
      const period = sandboxPeriod(at);
      send(res, 200, {
        data: {
          id: "",
          type: "billing_usage",
          attributes: {
            project: { id: project.id, slug: project.slug, name: project.name },
            period: { start: latitudeTime(period.start), end: latitudeTime(period.end) },
            available_credit_balance: project.available_credit_balance,
            amount: 0,
            price: products.reduce((sum, p) => sum + p.price, 0),
            threshold: project.threshold,
            products: products.map((p) => ({ ...p, proration: false, discountable: true, start: latitudeTime(period.start), end: null })),
          },
        },
        meta: {},
      });
    }, faults.delayMs);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    faults,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
