// latitude_get_billing_usage through a real MCP client, against the Latitude sandbox over HTTP.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LATITUDE_MAX_TRIES } from "../src/latitude/client.js";
import { filterSandboxProducts, findSandboxProject, sandboxPeriod, sandboxProjectAt } from "../src/sandbox/latitude-data.js";
import type { SandboxProduct } from "../src/sandbox/latitude-data.js";
import { call, startLatitudeSandbox, textOf } from "./harness.js";
import type { LatitudeSandbox } from "./harness.js";
import { testClock } from "./clock.js";
import { startInProcess } from "./in-process.js";
import type { InProcessServer } from "./in-process.js";

const TOOL = "latitude_get_billing_usage";
let sandbox: LatitudeSandbox;
let server: InProcessServer;

const latitudeEnv = (s: LatitudeSandbox, extra: Record<string, string> = {}) => ({ LATITUDESH_SERVER_URL: s.url, LATITUDESH_BEARER: s.token, ...extra });

beforeAll(async () => {
  sandbox = await startLatitudeSandbox();
  server = await startInProcess(latitudeEnv(sandbox, { LATITUDESH_PROJECT: "web-prod" }));
});
afterAll(async () => {
  await server?.close();
  await sandbox?.close();
});
beforeEach(() => {
  sandbox.faults.reset();
  sandbox.requests.length = 0;
});

interface Usage {
  project: { id: string; slug: string | null; name: string | null };
  period_start: string;
  period_end: string;
  total_cents: number;
  available_credit_balance_cents: number | null;
  threshold_cents: number | null;
  filters: { products: string[]; plan: string | null };
  products: { id: string; name: string | null; resource: string | null; hostname: string | null; plan: string | null; quantity: number | null; unit: string | null; unit_price_cents: number | null; amount_without_discount_cents: number | null; discounts: unknown[]; price_cents: number }[];
  sandbox: boolean;
}

const expectedProduct = (p: SandboxProduct) => ({
  id: p.id,
  name: p.name,
  resource: p.resource,
  hostname: p.metadata.hostname,
  plan: p.metadata.plan,
  quantity: p.quantity,
  unit: p.unit,
  unit_price_cents: p.unit_price,
  amount_without_discount_cents: p.amount_without_discount,
  discounts: p.discounts,
  price_cents: p.price,
});
const dollars = (c: number) => `${(c / 100).toFixed(2)} USD`;

const expectServing = async () => {
  const ok = await call(server.client, TOOL, { project: "ml-training" });
  expect(ok.isError, textOf(ok)).toBeFalsy();
};

describe("latitude_get_billing_usage figures", () => {
  for (const key of ["web-prod", "proj_sandbox_ml"]) {
    it(`reports ${key} as the sandbox data has it, cents exact and USD in the text`, async () => {
      const project = sandboxProjectAt(key, testClock())!;
      const result = await call(server.client, TOOL, { project: key });
      expect(result.isError, textOf(result)).toBeFalsy();
      const usage = result.structuredContent as unknown as Usage;
      expect(usage.project).toEqual({ id: project.id, slug: project.slug, name: project.name });
      expect(usage.products).toEqual(project.products.map(expectedProduct));
      expect(usage.total_cents).toBe(project.products.reduce((sum, p) => sum + p.price, 0));
      expect(usage.available_credit_balance_cents).toBe(project.available_credit_balance);
      expect(usage.threshold_cents).toBe(project.threshold);
      const period = sandboxPeriod(testClock());
      expect(new Date(usage.period_start).getTime()).toBe(period.start.getTime());
      expect(new Date(usage.period_end).getTime()).toBe(period.end.getTime());
      expect(usage.sandbox).toBe(false);

      const text = textOf(result);
      expect(text).not.toMatch(/SANDBOX/);
      expect(text).toContain(`total ${dollars(usage.total_cents)}`);
      for (const p of project.products) {
        expect(text).toContain(`${p.id} ${p.name}`);
        expect(text).toContain(dollars(p.price));
        if (p.metadata.hostname) expect(text).toContain(`${p.metadata.hostname}, plan ${p.metadata.plan}`);
        for (const d of p.discounts) expect(text).toContain(d.description);
      }
    });
  }

  it("shows fractional-cent unit prices without rounding them away", async () => {
    const text = textOf(await call(server.client, TOOL, { project: "web-prod" }));
    const bandwidth = findSandboxProject("web-prod")!.products.find((p) => p.resource === "bandwidth")!;
    expect(bandwidth.unit_price % 1).not.toBe(0);
    expect(text).toContain(`x ${bandwidth.unit_price / 100} USD`);
  });

  it("uses LATITUDESH_PROJECT when project is omitted", async () => {
    const result = await call(server.client, TOOL);
    expect(result.isError, textOf(result)).toBeFalsy();
    expect((result.structuredContent as unknown as Usage).project.slug).toBe("web-prod");
  });
});

describe("latitude_get_billing_usage on the wire", () => {
  it("sends the token as the whole Authorization header and asks for JSON:API", async () => {
    await call(server.client, TOOL, { project: "web-prod" });
    expect(sandbox.requests).toHaveLength(1);
    expect(sandbox.requests[0]!.authorization).toBe(sandbox.token);
    expect(sandbox.requests[0]!.accept).toBe("application/vnd.api+json");
  });

  it("sends repeated filter[products][] and filter[plan], and reports only what matched", async () => {
    const project = sandboxProjectAt("web-prod", testClock())!;
    const ids = ["si_sbx_web01", "si_sbx_db01", "si_sbx_bw"];
    const result = await call(server.client, TOOL, { project: "web-prod", products: ids, plan: "c3-medium-x86" });
    expect(result.isError, textOf(result)).toBeFalsy();
    const query = new URL(sandbox.requests[0]!.url, "http://x").searchParams;
    expect(query.get("filter[project]")).toBe("web-prod");
    expect(query.getAll("filter[products][]")).toEqual(ids);
    expect(query.get("filter[plan]")).toBe("c3-medium-x86");

    const usage = result.structuredContent as unknown as Usage;
    const expected = filterSandboxProducts(project, { products: ids, plan: "c3-medium-x86" });
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(ids.length);
    expect(usage.products.map((p) => p.id)).toEqual(expected.map((p) => p.id));
    expect(usage.total_cents).toBe(expected.reduce((sum, p) => sum + p.price, 0));
    expect(usage.filters).toEqual({ products: ids, plan: "c3-medium-x86" });
    expect(textOf(result)).toContain("Filtered by products si_sbx_web01, si_sbx_db01, si_sbx_bw; plan c3-medium-x86");
  });

  it("sends no filter parameters when none are given", async () => {
    await call(server.client, TOOL, { project: "web-prod" });
    const query = new URL(sandbox.requests[0]!.url, "http://x").searchParams;
    expect([...query.keys()]).toEqual(["filter[project]"]);
  });

  it("the sandbox itself insists on the bare token (a Bearer prefix is refused)", async () => {
    const response = await fetch(`${sandbox.url}/billing/usage?filter[project]=web-prod`, { headers: { Authorization: `Bearer ${sandbox.token}` } });
    expect(response.status).toBe(401);
  });
});

describe("latitude_get_billing_usage errors", () => {
  it("401 names LATITUDESH_BEARER and does not retry", async () => {
    sandbox.faults.statuses = [401];
    const result = await call(server.client, TOOL, { project: "web-prod" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/rejected the API token \(HTTP 401\).*Set LATITUDESH_BEARER/);
    expect(sandbox.requests).toHaveLength(1);
    await expectServing();
  });

  it("403 says the token lacks permission", async () => {
    sandbox.faults.statuses = [403];
    const result = await call(server.client, TOOL, { project: "web-prod" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/refused access to billing usage of project "web-prod" \(HTTP 403\).*LATITUDESH_BEARER lacks permission/);
    await expectServing();
  });

  it("404 for an unknown project says what to check", async () => {
    const result = await call(server.client, TOOL, { project: "proj_nowhere" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^Not found: billing usage of project "proj_nowhere" \(HTTP 404\).*Check the project id or slug/);
    await expectServing();
  });

  it("429 is retried, and succeeds when the limit lifts", async () => {
    sandbox.faults.statuses = [429];
    sandbox.faults.retryAfter = "0";
    const result = await call(server.client, TOOL, { project: "web-prod" });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(sandbox.requests).toHaveLength(2);
  });

  it(`429 on every try gives up after ${LATITUDE_MAX_TRIES} tries with a clear error`, async () => {
    sandbox.faults.statuses = Array<number>(LATITUDE_MAX_TRIES + 2).fill(429);
    sandbox.faults.retryAfter = "0";
    const result = await call(server.client, TOOL, { project: "web-prod" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(new RegExp(`rate-limiting .*HTTP 429 after ${LATITUDE_MAX_TRIES} tries.*Wait a minute and retry`));
    expect(sandbox.requests).toHaveLength(LATITUDE_MAX_TRIES);
    sandbox.faults.statuses = [];
    await expectServing();
  });

  it("a long Retry-After is not waited out: one try, and the error says how long", async () => {
    sandbox.faults.statuses = [429];
    sandbox.faults.retryAfter = "120";
    const started = Date.now();
    const result = await call(server.client, TOOL, { project: "web-prod" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/asked to wait 120 s/);
    expect(sandbox.requests).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(10_000); // waiting it out would take 120 s
  });

  it("5xx is retried with backoff; when it persists the error says so", async () => {
    sandbox.faults.statuses = [503];
    const recovered = await call(server.client, TOOL, { project: "web-prod" });
    expect(recovered.isError, textOf(recovered)).toBeFalsy();
    expect(sandbox.requests).toHaveLength(2);

    sandbox.requests.length = 0;
    sandbox.faults.statuses = Array<number>(LATITUDE_MAX_TRIES).fill(500);
    const result = await call(server.client, TOOL, { project: "web-prod" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(new RegExp(`failed on billing usage of project "web-prod" \\(HTTP 500 after ${LATITUDE_MAX_TRIES} tries\\).*retry in a moment`));
    expect(sandbox.requests).toHaveLength(LATITUDE_MAX_TRIES);
    await expectServing();
  });

  for (const malformed of ["invalid-json", "wrong-shape"] as const) {
    it(`a malformed body (${malformed}) is a clear error, not a crash`, async () => {
      sandbox.faults.malformed = malformed;
      const result = await call(server.client, TOOL, { project: "web-prod" });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/answered billing usage of project "web-prod" with a body billing-mcp cannot read \(.+\).*LATITUDESH_SERVER_URL/);
      if (malformed === "wrong-shape") expect(textOf(result)).toMatch(/data\.attributes\.\w+/);
      await expectServing();
    });
  }

  it("honours the call's timeout, then keeps serving", async () => {
    // Far longer than any scheduling delay on a shared machine: only the deadline ends the call in time.
    sandbox.faults.delayMs = 10_000;
    const started = Date.now();
    const result = await call(server.client, TOOL, { project: "web-prod", timeout: 0.3 });
    sandbox.faults.delayMs = 0;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/did not answer billing usage of project "web-prod" within 0.3 s/);
    expect(Date.now() - started).toBeLessThan(5_000);
    await expectServing();
  });

  it("never shows the token, nor a stack trace", async () => {
    const outputs: string[] = [];
    for (const status of [401, 403, 500]) {
      sandbox.faults.statuses = Array<number>(LATITUDE_MAX_TRIES).fill(status);
      outputs.push(JSON.stringify(await call(server.client, TOOL, { project: "web-prod" })));
    }
    outputs.push(JSON.stringify(await call(server.client, TOOL, { project: "web-prod" })));
    const all = outputs.join("\n") + server.stderr();
    expect(all).not.toContain(sandbox.token);
    expect(all).not.toMatch(/\n\s+at .*\.js:\d+/);
  });
});

describe("latitude configuration", () => {
  it("a wrong token is rejected by the API and named in the error", async () => {
    const bad = await startInProcess(latitudeEnv(sandbox, { LATITUDESH_BEARER: "lat_wrong_token_value" }));
    try {
      const result = await call(bad.client, TOOL, { project: "web-prod" });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/LATITUDESH_BEARER/);
      expect(textOf(result)).not.toContain("lat_wrong_token_value");
    } finally {
      await bad.close();
    }
  });

  it("a bad LATITUDESH_SERVER_URL is named, not silently replaced by the sandbox", async () => {
    const bad = await startInProcess({ LATITUDESH_BEARER: "lat_some_token", LATITUDESH_SERVER_URL: "api.latitude.sh" });
    try {
      const result = await call(bad.client, TOOL, { project: "web-prod" });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/LATITUDESH_SERVER_URL must be an http\(s\) URL/);
    } finally {
      await bad.close();
    }
  });

  it("an unreachable server is reported as such", async () => {
    const gone = await startLatitudeSandbox();
    await gone.close();
    const down = await startInProcess(latitudeEnv(gone));
    try {
      const result = await call(down.client, TOOL, { project: "web-prod", timeout: 5 });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/Could not reach Latitude.sh .*ECONNREFUSED.*LATITUDESH_SERVER_URL/);
    } finally {
      await down.close();
    }
  });

  it("with no LATITUDESH_BEARER, the embedded sandbox answers and every answer says so", async () => {
    const embedded = await startInProcess({});
    try {
      const result = await call(embedded.client, TOOL, { project: "web-prod" });
      expect(result.isError, textOf(result)).toBeFalsy();
      const usage = result.structuredContent as unknown as Usage;
      expect(usage.sandbox).toBe(true);
      expect(textOf(result)).toMatch(/^SANDBOX DATA/);
      expect(usage.total_cents).toBe(sandboxProjectAt("web-prod", testClock())!.products.reduce((sum, p) => sum + p.price, 0));
      const missing = await call(embedded.client, TOOL);
      expect(textOf(missing)).toMatch(/project is required.*LATITUDESH_PROJECT/);
    } finally {
      await embedded.close();
    }
  });
});
