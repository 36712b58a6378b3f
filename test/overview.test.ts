// billing_spend_overview through a real MCP client: Viam and Latitude.sh sandboxes as if live,
// partial failures, history fields, defaults, and sandbox marking in the embedded and mixed modes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSandboxState, currentPeriodOf, ORG, orgSubtotal, outstandingBalance } from "../src/sandbox/data.js";
import type { SandboxOrg } from "../src/sandbox/data.js";
import { LATITUDE_SANDBOX_PROJECTS, sandboxPeriod, sandboxProjectAt } from "../src/sandbox/latitude-data.js";
import { clockStartingAt, fixedClock } from "../src/core/clock.js";
import { testClock } from "./clock.js";
import { countTokens } from "./tokens.js";
import { call, liveEnv, startLatitudeSandbox, startViamSandbox, textOf } from "./harness.js";
import type { LatitudeSandbox, ViamSandbox } from "./harness.js";
import { startInProcess } from "./in-process.js";
import type { InProcessServer } from "./in-process.js";

const TOOL = "billing_spend_overview";
let viam: ViamSandbox;
let latitude: LatitudeSandbox;
let server: InProcessServer;

// A clock that stands still at the test instant: tests compare answers of separate calls
// (all rows, then max_rows), which must see the same moment, not usage a few seconds apart.
const frozen = fixedClock(testClock());
beforeAll(async () => {
  [viam, latitude] = await Promise.all([startViamSandbox({ clock: frozen }), startLatitudeSandbox({ clock: frozen })]);
  server = await startInProcess(
    liveEnv(viam, { LATITUDESH_SERVER_URL: latitude.url, LATITUDESH_BEARER: latitude.token, VIAM_ORG_ID: ORG.fieldworks, LATITUDESH_PROJECT: "ml-training" }),
    [],
    {},
    "2025",
    frozen,
  );
});
afterAll(async () => {
  await server?.close();
  await Promise.all([viam?.close(), latitude?.close()]);
});
beforeEach(() => {
  viam.faults.reset();
  latitude.faults.reset();
});

interface Row {
  provider: "viam" | "latitude";
  id: string;
  name: string | null;
  sandbox: boolean;
  error: string | null;
  period_start: string | null;
  period_end: string | null;
  elapsed_share: number | null;
  month_to_date: number | null;
  projection_basis: string | null;
  projected_month_end: number | null;
  projected_low: number | null;
  projected_high: number | null;
  history_periods: number | null;
  previous_period_total: number | null;
  outstanding_balance: number | null;
  failed_payments: { id: string; last_payment_failure_reason: string | null }[] | null;
  failed_payment_count: number | null;
  last_invoice: { id: string; date: string | null; amount: number } | null;
  projected_change_percent: number | null;
}
interface Overview {
  as_of: string;
  projection_method: string;
  sandbox_defaults: boolean;
  month_to_date_total: number;
  projected_month_end_total: number;
  projected_low_total: number;
  projected_high_total: number;
  unprojected_rows: number;
  outstanding_total: number;
  failed_payment_count: number;
  rows_total: number;
  rows_omitted: number;
  failed_rows: number;
  rows: Row[];
  sandbox: boolean;
}

async function overview(srv: InProcessServer, args: Record<string, unknown> = {}) {
  const result = await call(srv.client, TOOL, args);
  expect(result.isError, textOf(result)).toBeFalsy();
  return { data: result.structuredContent as unknown as Overview, text: textOf(result) };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const elapsedShare = (start: Date, end: Date, at: Date) => (at.getTime() - start.getTime()) / (end.getTime() - start.getTime());
const monthStart = (at: Date, monthsAgo: number) => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - monthsAgo, 1));
/** Everything invoiced in the calendar month `monthsAgo` before the one of `at`. */
const invoicedInMonth = (org: SandboxOrg, at: Date, monthsAgo: number) =>
  sum(org.invoices.filter((i) => i.date >= monthStart(at, monthsAgo) && i.date < monthStart(at, monthsAgo - 1)).map((i) => i.amount));

/** A projection's range holds its point, and nothing projects below what was already spent. */
function expectCoherentProjection(row: Row) {
  if (row.projected_month_end === null) {
    expect([row.projection_basis, row.projected_low, row.projected_high]).toEqual(["not meaningful yet", null, null]);
    return;
  }
  expect(row.projected_low!).toBeLessThanOrEqual(row.projected_month_end + 0.005);
  expect(row.projected_high!).toBeGreaterThanOrEqual(row.projected_month_end - 0.005);
  expect(row.projected_low!).toBeGreaterThanOrEqual(row.month_to_date! - 0.005);
}

function expectViamRow(row: Row, org: SandboxOrg, asOf: Date) {
  expect(row.error).toBeNull();
  expect(row.month_to_date).toBeCloseTo(orgSubtotal(org), 2);
  expect(row.outstanding_balance).toBeCloseTo(outstandingBalance(org), 2);
  const period = currentPeriodOf(asOf);
  expect([row.period_start, row.period_end]).toEqual([isoDay(period.start), isoDay(period.end)]);
  expect(row.elapsed_share).toBeCloseTo(elapsedShare(period.start, period.end, asOf), 2);
  // History: what was invoiced in last calendar month, and the change stated against it.
  expect(row.projection_basis).toBe("history and month-to-date");
  expect(row.previous_period_total).toBeCloseTo(invoicedInMonth(org, asOf, 1), 2);
  expect(row.projected_change_percent!).toBeCloseTo(((row.projected_month_end! - row.previous_period_total!) / row.previous_period_total!) * 100, 0);
  expectCoherentProjection(row);
  // Failed payments: unpaid invoices that carry a failure reason or a failed status.
  const failed = org.invoices.filter((i) => i.status !== "paid" && (i.failureReason || /fail/.test(i.status)));
  expect(failed.length).toBeGreaterThan(0);
  expect(row.failed_payment_count).toBe(failed.length);
  expect(row.failed_payments!.map((i) => i.id)).toEqual([...failed].sort((a, b) => b.date.getTime() - a.date.getTime()).slice(0, 5).map((i) => i.id));
  const latest = [...org.invoices].sort((a, b) => b.date.getTime() - a.date.getTime())[0]!;
  expect(row.last_invoice).toEqual({ id: latest.id, date: isoDay(latest.date), amount: latest.amount });
}

function expectLatitudeRow(row: Row, key: string, asOf: Date) {
  const project = sandboxProjectAt(key, asOf)!;
  expect(row.error).toBeNull();
  expect([row.id, row.name]).toEqual([project.id, project.name]);
  expect(row.month_to_date).toBeCloseTo(sum(project.products.map((p) => p.price)) / 100, 2);
  const period = sandboxPeriod(asOf);
  expect([row.period_start, row.period_end]).toEqual([isoDay(period.start), isoDay(period.end)]);
  // Latitude.sh reports the current period only: no history, so early on no projection at all.
  expect([row.history_periods, row.previous_period_total]).toEqual([0, null]);
  const share = elapsedShare(period.start, period.end, asOf);
  if (share < 0.2) expect(row.projected_month_end).toBeNull();
  else {
    expect(row.projection_basis).toBe("month-to-date only");
    expect(row.projected_month_end!).toBeCloseTo(row.month_to_date! / share, 0);
  }
  expectCoherentProjection(row);
  expect([row.outstanding_balance, row.failed_payments, row.last_invoice]).toEqual([null, null, null]);
}

describe("billing_spend_overview against live-like Viam and Latitude.sh", () => {
  it("reports every org and project with projections, history and grand totals", async () => {
    const { data, text } = await overview(server, { org_ids: [ORG.acme, ORG.fieldworks], latitude_projects: ["web-prod", "proj_sandbox_ml"] });
    const asOf = new Date(data.as_of);
    expect(data.rows.map((r) => `${r.provider}:${r.id}`)).toEqual(["viam:org-acme", "viam:org-fieldworks", "latitude:proj_sandbox_web", "latitude:proj_sandbox_ml"]);
    expectViamRow(data.rows[0]!, viam.state.orgs.get(ORG.acme)!, asOf);
    expectViamRow(data.rows[1]!, viam.state.orgs.get(ORG.fieldworks)!, asOf);
    expectLatitudeRow(data.rows[2]!, "web-prod", asOf);
    expectLatitudeRow(data.rows[3]!, "proj_sandbox_ml", asOf);
    expect(data.month_to_date_total).toBeCloseTo(sum(data.rows.map((r) => r.month_to_date!)), 2);
    expect(data.projected_month_end_total).toBeCloseTo(sum(data.rows.map((r) => r.projected_month_end ?? r.month_to_date!)), 1);
    expect(data.unprojected_rows).toBe(data.rows.filter((r) => r.projected_month_end === null).length);
    expect(data.failed_rows).toBe(0);
    expect(data.projection_method).toMatch(/^month-to-date plus the rest of the period/);
    expect([data.sandbox, data.sandbox_defaults, ...data.rows.map((r) => r.sandbox)].every((v) => v === false)).toBe(true);

    expect(text).not.toMatch(/SANDBOX|\[sandbox\]/);
    expect(text).toContain(`Projection: ${data.projection_method}`);
    expect(text).toContain(`month-to-date ${data.month_to_date_total.toFixed(2)} USD, projected month-end ${data.projected_month_end_total.toFixed(2)} USD (range ${data.projected_low_total.toFixed(2)}-${data.projected_high_total.toFixed(2)} USD)`);
    const acme = data.rows[0]!;
    expect(text).toContain(`previous period ${acme.previous_period_total!.toFixed(2)}`);
    expect(text).toContain(`last invoice ${acme.last_invoice!.id}`);
    expect(text).toContain(`FAILED PAYMENTS: ${acme.failed_payments![0]!.id}`);
    expect(text).toContain(`Latitude.sh Web Production (proj_sandbox_web), ${data.rows[2]!.period_start} to ${data.rows[2]!.period_end}`);
  });

  it("max_rows: failed payments first, then the largest; totals still cover every row, and the text says what is left out", async () => {
    const args = { org_ids: [ORG.acme, ORG.fieldworks, ORG.orbital, ORG.fleet], latitude_projects: ["web-prod", "ml-training"] };
    const all = await overview(server, args);
    const some = await overview(server, { ...args, max_rows: 3 });
    expect([some.data.rows_total, some.data.rows_omitted, some.data.rows.length]).toEqual([6, 3, 3]);
    const withFailures = all.data.rows.filter((r) => r.failed_payment_count);
    const largestFailing = [...withFailures].sort((a, b) => b.projected_month_end! - a.projected_month_end!).slice(0, 3).map((r) => r.id);
    expect(some.data.rows.map((r) => r.id).sort()).toEqual(largestFailing.sort());
    for (const key of ["month_to_date_total", "projected_month_end_total", "outstanding_total", "failed_payment_count"] as const) expect(some.data[key], key).toBe(all.data[key]);
    expect(all.data.failed_payment_count).toBe(sum(all.data.rows.map((r) => r.failed_payment_count ?? 0)));
    expect(some.text).toMatch(new RegExp(`3 more rows not shown \\(in the totals above\\): .* 0 of them failed, ${withFailures.length - 3} have failed payments`));
    // Each row lists at most 5 failed payments and counts the rest.
    const fleet = all.data.rows.find((r) => r.id === ORG.fleet)!;
    expect(fleet.failed_payments!.length).toBe(5);
    expect(fleet.failed_payment_count).toBe(viam.state.orgs.get(ORG.fleet)!.invoices.filter((i) => i.status !== "paid" && (i.failureReason || /fail/.test(i.status))).length);
    expect(all.text).toContain(`and ${fleet.failed_payment_count! - 5} more`);
  });

  it("queries orgs and projects concurrently", async () => {
    viam.faults.delayMs = 1500;
    latitude.faults.delayMs = 1500;
    const started = Date.now();
    const { data } = await overview(server, { org_ids: [ORG.acme, ORG.fieldworks], latitude_projects: ["web-prod", "ml-training"] });
    // One after another this is 6 x 1.5 s = 9 s; concurrently about one delay. The bound sits well clear of both.
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(data.failed_rows).toBe(0);
  });

  it("one failing org does not fail the others: its row says why, totals cover the rest", async () => {
    const { data, text } = await overview(server, { org_ids: [ORG.acme, "org-does-not-exist", ORG.restricted], latitude_projects: ["web-prod"] });
    const [acme, missing, restricted, web] = data.rows;
    expect(missing!.error).toMatch(/^Not found: .*org-does-not-exist/);
    expect(restricted!.error).toMatch(/Permission denied.*organization-owner/);
    for (const failed of [missing!, restricted!]) expect([failed.month_to_date, failed.projected_month_end, failed.last_invoice]).toEqual([null, null, null]);
    expectViamRow(acme!, viam.state.orgs.get(ORG.acme)!, new Date(data.as_of));
    expectLatitudeRow(web!, "web-prod", new Date(data.as_of));
    expect(data.failed_rows).toBe(2);
    expect(data.month_to_date_total).toBeCloseTo(acme!.month_to_date! + web!.month_to_date!, 2);
    expect(data.projected_month_end_total).toBeCloseTo(acme!.projected_month_end! + (web!.projected_month_end ?? web!.month_to_date!), 1);
    expect(text).toMatch(/Grand total over 2 of 4 rows; 2 failed, not in the totals/);
    expect(text).toMatch(/Viam org-does-not-exist: FAILED: Not found/);
  });

  it("a project list that cannot be read is a failed row that says why, not a silent gap", async () => {
    // A fresh server: the list of the first one is already cached.
    const fresh = await startInProcess(liveEnv(viam, { LATITUDESH_SERVER_URL: latitude.url, LATITUDESH_BEARER: latitude.token, VIAM_ORG_ID: ORG.acme }));
    try {
      latitude.faults.statuses = [401];
      const { data, text } = await overview(fresh);
      expect(data.rows.map((r) => `${r.provider}:${r.id}`)).toEqual(["viam:org-acme", "latitude:(all projects)"]);
      expect(data.rows[1]!.error).toMatch(/LATITUDESH_BEARER/);
      expect(data.failed_rows).toBe(1);
      expect(text).toMatch(/Latitude.sh \(all projects\): FAILED/);
      // Not cached: the next call lists every project the token sees; the one after uses that list.
      latitude.requests.length = 0;
      expect((await overview(fresh)).data.rows.map((r) => `${r.provider}:${r.id}`)).toEqual(["viam:org-acme", ...LATITUDE_SANDBOX_PROJECTS.map((p) => `latitude:${p.id}`)]);
      await overview(fresh);
      expect(latitude.requests.filter((r) => r.url.startsWith("/projects")).map((r) => r.url)).toEqual(["/projects?page%5Bsize%5D=100&page%5Bnumber%5D=1"]);
    } finally {
      await fresh.close();
    }
  });

  it("a failing Latitude.sh leaves the Viam rows intact, and names LATITUDESH_BEARER", async () => {
    latitude.faults.statuses = [401];
    const { data } = await overview(server, { org_ids: [ORG.acme], latitude_projects: ["web-prod"] });
    expect(data.rows[1]!.error).toMatch(/LATITUDESH_BEARER/);
    expect(data.rows[0]!.error).toBeNull();
    expect(data.month_to_date_total).toBeCloseTo(data.rows[0]!.month_to_date!, 2);
  });

  it("defaults to VIAM_ORG_ID and LATITUDESH_PROJECT when they are set; [] leaves a provider out", async () => {
    const { data } = await overview(server);
    expect(data.rows.map((r) => `${r.provider}:${r.id}`)).toEqual(["viam:org-fieldworks", "latitude:proj_sandbox_ml"]);
    expect(data.sandbox_defaults).toBe(false);
    const latitudeOnly = await overview(server, { org_ids: [] });
    expect(latitudeOnly.data.rows.map((r) => r.provider)).toEqual(["latitude"]);
    const nothing = await call(server.client, TOOL, { org_ids: [], latitude_projects: [] });
    expect(nothing.isError).toBe(true);
    expect(textOf(nothing)).toMatch(/Nothing to report.*VIAM_ORG_ID.*LATITUDESH_PROJECT/);
  });
});

describe("billing_spend_overview sandbox marking", () => {
  it("embedded sandbox mode: every demo org the key sees and the demo projects by default, marked as sandbox, and says so", async () => {
    const embedded = await startInProcess({});
    try {
      const { data, text } = await overview(embedded);
      expect(data.sandbox_defaults).toBe(true);
      expect(data.sandbox).toBe(true);
      const asOf = new Date(data.as_of);
      const demo = createSandboxState(asOf);
      const orgIds = [...demo.orgs.keys()];
      expect(data.rows.map((r) => r.id)).toEqual([...orgIds, ...LATITUDE_SANDBOX_PROJECTS.map((p) => p.id)]);
      expect(data.rows.every((r) => r.sandbox)).toBe(true);
      // The sandbox key is a member of org-restricted, not an owner: only that row fails.
      expect(data.rows.filter((r) => r.error !== null).map((r) => r.id)).toEqual([ORG.restricted]);
      expect(data.rows.slice(0, orgIds.length).map((r) => r.name)).toEqual(orgIds.map((id) => demo.orgs.get(id)!.name));
      expectViamRow(data.rows[0]!, demo.orgs.get(ORG.acme)!, asOf);
      expectLatitudeRow(data.rows[orgIds.length]!, "web-prod", asOf);
      expect(text).toMatch(/^SANDBOX DATA/);
      expect(text).toContain(`showing the sandbox's demo Viam orgs ${orgIds.join(", ")} and Latitude.sh projects proj_sandbox_web`);
    } finally {
      await embedded.close();
    }
  });

  it("real Viam with no Latitude.sh token: no demo rows by default; demo rows asked for are marked", async () => {
    const mixed = await startInProcess(liveEnv(viam, { VIAM_ORG_ID: ORG.acme }));
    try {
      const real = await overview(mixed);
      expect(real.data.rows.map((r) => r.provider)).toEqual(["viam"]);
      expect(real.data.sandbox).toBe(false);
      expect(real.text).not.toMatch(/SANDBOX/);

      const both = await overview(mixed, { latitude_projects: ["web-prod"] });
      expect(both.data.rows.map((r) => r.sandbox)).toEqual([false, true]);
      expect(both.data.sandbox).toBe(true);
      expect(both.text).toMatch(/Latitude.sh Web Production \(proj_sandbox_web\) \[sandbox\]/);
      expect(both.text).not.toMatch(/Viam org-acme \[sandbox\]/);
    } finally {
      await mixed.close();
    }
  });
});

describe("projections measured at fixed instants (sandbox data, live-like)", () => {
  const ALL_VIAM = [ORG.acme, ORG.fieldworks, ORG.orbital, ORG.fleet];

  /** A Viam sandbox and a server both pinned to `instant`, for one test. */
  async function at(instant: string, prepare: (sandbox: ViamSandbox) => void = () => undefined) {
    const pinned = await startViamSandbox({ clock: clockStartingAt(new Date(instant)) });
    prepare(pinned);
    const srv = await startInProcess(liveEnv(pinned, { BILLING_MCP_NOW: instant }));
    return {
      sandbox: pinned,
      overview: (args: Record<string, unknown>) => overview(srv, { latitude_projects: [], ...args }),
      close: async () => (await srv.close(), await pinned.close()),
    };
  }

  it("the 1st at 01:00 UTC: every org within ±30% of its 3-period average, none absurd", async () => {
    const run = await at("2026-12-01T01:00:00Z");
    try {
      const { data, text } = await run.overview({ org_ids: ALL_VIAM });
      for (const row of data.rows) {
        const org = run.sandbox.state.orgs.get(row.id)!;
        const history = [1, 2, 3].map((k) => invoicedInMonth(org, new Date(data.as_of), k)).filter((_, k) => k < row.history_periods!);
        const average = sum(history) / history.length;
        expect(row.projection_basis, row.id).toBe("history and month-to-date");
        expect(Math.abs(row.projected_month_end! / average - 1), `${row.id}: ${row.projected_month_end} against ${average}`).toBeLessThanOrEqual(0.3);
        expect(Math.abs(row.projected_change_percent!), row.id).toBeLessThan(30);
      }
      expect(text).not.toMatch(/[+-]\d{3,}(\.\d)?%/);
    } finally {
      await run.close();
    }
  });

  it("mid-month the projection follows month-to-date; with no history it is the rate so far", async () => {
    const run = await at("2026-12-16T12:00:00Z");
    try {
      const { data } = await run.overview({ org_ids: [...ALL_VIAM, ORG.empty] });
      for (const row of data.rows.filter((r) => r.id !== ORG.empty)) {
        // Half the month gone: the blend gives month-to-date half the weight.
        const linear = row.month_to_date! / row.elapsed_share!;
        const history = row.projected_month_end! - row.month_to_date!;
        expect(row.projected_month_end!).toBeGreaterThan(Math.min(linear, 2 * history + row.month_to_date!) - 1);
        expect(Math.abs(row.projected_month_end! / linear - 1), row.id).toBeLessThan(0.1);
      }
      const empty = data.rows.find((r) => r.id === ORG.empty)!;
      expect([empty.projection_basis, empty.projected_month_end, empty.history_periods]).toEqual(["month-to-date only", 0, 0]);
    } finally {
      await run.close();
    }
  });

  it("an org whose spend doubled this month shows it by the 20th", async () => {
    const run = await at("2026-12-20T00:00:00Z", (sandbox) => {
      for (const source of sandbox.state.orgs.get(ORG.acme)!.sources) for (const cost of source.costs) cost.monthly *= 2;
    });
    try {
      const { data } = await run.overview({ org_ids: [ORG.acme, ORG.fieldworks] });
      const [acme, steady] = data.rows;
      expect(acme!.projected_change_percent!).toBeGreaterThan(60);
      expect(Math.abs(steady!.projected_change_percent!)).toBeLessThan(15);
    } finally {
      await run.close();
    }
  });

  it("no history and little of the period passed: says the projection is not meaningful yet", async () => {
    const run = await at("2026-12-03T00:00:00Z");
    try {
      const { data, text } = await run.overview({ org_ids: [ORG.empty] });
      expect(data.rows[0]).toMatchObject({ projection_basis: "not meaningful yet", projected_month_end: null, projected_change_percent: null });
      expect(data.unprojected_rows).toBe(1);
      expect(text).toMatch(/Viam New Co \(org-empty\).*no projection yet/);
    } finally {
      await run.close();
    }
  });
});

describe("a reseller with hundreds of orgs", () => {
  it("the default answer covers all 306 orgs in its totals and stays under 2,000 tokens, failed payments first", async () => {
    const reseller = await startViamSandbox({ resellerCustomers: 300 });
    const srv = await startInProcess(liveEnv(reseller));
    try {
      const result = await call(srv.client, TOOL, { latitude_projects: [] });
      expect(result.isError, textOf(result)).toBeFalsy();
      const data = result.structuredContent as unknown as Overview;
      const text = textOf(result);
      expect(data.rows_total).toBe(reseller.state.orgs.size);
      expect(data.rows.length).toBe(12);
      const working = [...reseller.state.orgs.values()].filter((o) => !o.restricted);
      expect(data.month_to_date_total).toBeCloseTo(sum(working.map((o) => orgSubtotal(o))), 1);
      const failing = working.filter((o) => o.invoices.some((i) => i.status !== "paid" && i.failureReason));
      expect(data.failed_payment_count).toBe(sum(failing.map((o) => o.invoices.filter((i) => i.status !== "paid" && i.failureReason).length)));
      // The failed row first, then orgs with failed payments, largest first.
      expect(data.rows.filter((r) => r.error).map((r) => r.id)).toEqual([ORG.restricted]);
      expect(data.rows.filter((r) => !r.error).every((r) => r.failed_payment_count! > 0)).toBe(true);
      expect(text).toMatch(/294 more rows not shown \(in the totals above\): .*To see them, pass org_ids or latitude_projects, or a larger max_rows/);
      const tokens = countTokens(text) + countTokens(JSON.stringify(result.structuredContent));
      console.info(`reseller overview, 306 orgs: ${countTokens(text)} tokens of text + ${countTokens(JSON.stringify(result.structuredContent))} of structuredContent`);
      expect(countTokens(text)).toBeLessThan(2000);
      expect(tokens).toBeLessThan(8000);
    } finally {
      await srv.close();
      await reseller.close();
    }
  }, 60_000);
});
