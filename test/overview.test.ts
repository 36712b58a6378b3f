// billing_spend_overview through a real MCP client: Viam and Latitude.sh sandboxes as if live,
// partial failures, history fields, defaults, and sandbox marking in the embedded and mixed modes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSandboxState, currentPeriodOf, ORG, orgSubtotal, outstandingBalance } from "../src/sandbox/data.js";
import type { SandboxOrg } from "../src/sandbox/data.js";
import { findSandboxProject, LATITUDE_SANDBOX_PROJECTS, sandboxPeriod } from "../src/sandbox/latitude-data.js";
import { call, liveEnv, startLatitudeSandbox, startServer, startViamSandbox, textOf } from "./harness.js";
import type { LatitudeSandbox, RunningServer, ViamSandbox } from "./harness.js";

const TOOL = "billing_spend_overview";
let viam: ViamSandbox;
let latitude: LatitudeSandbox;
let server: RunningServer;

beforeAll(async () => {
  [viam, latitude] = await Promise.all([startViamSandbox(), startLatitudeSandbox()]);
  server = await startServer(
    liveEnv(viam, { LATITUDESH_SERVER_URL: latitude.url, LATITUDESH_BEARER: latitude.token, VIAM_ORG_ID: ORG.fieldworks, LATITUDESH_PROJECT: "ml-training" }),
  );
});
afterAll(async () => {
  await server?.close();
  await Promise.all([viam?.close(), latitude?.close()]);
});
beforeEach(() => {
  viam.faults.reset();
  Object.assign(latitude.faults, { statuses: [], retryAfter: undefined, malformed: undefined, delayMs: 0 });
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
  projected_month_end: number | null;
  outstanding_balance: number | null;
  failed_payments: { id: string; last_payment_failure_reason: string | null }[] | null;
  last_invoice: { id: string; date: string | null; amount: number } | null;
  projected_change_percent: number | null;
}
interface Overview {
  as_of: string;
  projection_method: string;
  sandbox_defaults: boolean;
  month_to_date_total: number;
  projected_month_end_total: number;
  failed_rows: number;
  rows: Row[];
  sandbox: boolean;
}

async function overview(srv: RunningServer, args: Record<string, unknown> = {}) {
  const result = await call(srv.client, TOOL, args);
  expect(result.isError, textOf(result)).toBeFalsy();
  return { data: result.structuredContent as unknown as Overview, text: textOf(result) };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
// The method the answer states: elapsed time, at least one day of it, over the period's length.
const elapsedShare = (start: Date, end: Date, at: Date) => Math.max(at.getTime() - start.getTime(), 86_400_000) / (end.getTime() - start.getTime());

function expectViamRow(row: Row, org: SandboxOrg, asOf: Date) {
  expect(row.error).toBeNull();
  expect(row.month_to_date).toBeCloseTo(orgSubtotal(org), 2);
  expect(row.outstanding_balance).toBeCloseTo(outstandingBalance(org), 2);
  const period = currentPeriodOf(asOf);
  expect([row.period_start, row.period_end]).toEqual([isoDay(period.start), isoDay(period.end)]);
  expect(row.elapsed_share).toBeCloseTo(elapsedShare(period.start, period.end, asOf), 2);
  expect(row.projected_month_end!).toBeCloseTo(row.month_to_date! / elapsedShare(period.start, period.end, asOf), 0);
  // Failed payments: unpaid invoices that carry a failure reason or a failed status.
  const failed = org.invoices.filter((i) => i.status !== "paid" && (i.failureReason || /fail/.test(i.status)));
  expect(failed.length).toBeGreaterThan(0);
  expect(row.failed_payments!.map((i) => i.id).sort()).toEqual(failed.map((i) => i.id).sort());
  // History: the newest invoice, and the projection against it.
  const latest = [...org.invoices].sort((a, b) => b.date.getTime() - a.date.getTime())[0]!;
  expect(row.last_invoice).toEqual({ id: latest.id, date: isoDay(latest.date), amount: latest.amount });
  expect(row.projected_change_percent!).toBeCloseTo(((row.projected_month_end! - latest.amount) / latest.amount) * 100, 0);
}

function expectLatitudeRow(row: Row, key: string, asOf: Date) {
  const project = findSandboxProject(key)!;
  expect(row.error).toBeNull();
  expect([row.id, row.name]).toEqual([project.id, project.name]);
  expect(row.month_to_date).toBeCloseTo(sum(project.products.map((p) => p.price)) / 100, 2);
  const period = sandboxPeriod(asOf);
  expect([row.period_start, row.period_end]).toEqual([isoDay(period.start), isoDay(period.end)]);
  expect(row.projected_month_end!).toBeCloseTo(row.month_to_date! / elapsedShare(period.start, period.end, asOf), 0);
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
    expect(data.projected_month_end_total).toBeCloseTo(sum(data.rows.map((r) => r.projected_month_end!)), 1);
    expect(data.failed_rows).toBe(0);
    expect(data.projection_method).toMatch(/^linear/);
    expect([data.sandbox, data.sandbox_defaults, ...data.rows.map((r) => r.sandbox)].every((v) => v === false)).toBe(true);

    expect(text).not.toMatch(/SANDBOX|\[sandbox\]/);
    expect(text).toContain(`Projection: ${data.projection_method}`);
    expect(text).toContain(`month-to-date ${data.month_to_date_total.toFixed(2)} USD, projected month-end ${data.projected_month_end_total.toFixed(2)} USD`);
    const acme = data.rows[0]!;
    expect(text).toContain(`last invoice ${acme.last_invoice!.id}`);
    expect(text).toContain(`FAILED PAYMENTS: ${acme.failed_payments![0]!.id}`);
    expect(text).toContain(`Latitude.sh Web Production (proj_sandbox_web), ${data.rows[2]!.period_start} to ${data.rows[2]!.period_end}`);
  });

  it("queries orgs and projects concurrently", async () => {
    viam.faults.delayMs = 600;
    latitude.faults.delayMs = 600;
    const started = Date.now();
    const { data } = await overview(server, { org_ids: [ORG.acme, ORG.fieldworks], latitude_projects: ["web-prod", "ml-training"] });
    // One after another this is 6 x 600 ms; concurrently about one delay.
    expect(Date.now() - started).toBeLessThan(2400);
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
    expect(data.projected_month_end_total).toBeCloseTo(acme!.projected_month_end! + web!.projected_month_end!, 1);
    expect(text).toMatch(/Grand total over 2 of 4 rows; 2 failed, not in the totals/);
    expect(text).toMatch(/Viam org-does-not-exist: FAILED: Not found/);
  });

  it("a failing Latitude.sh leaves the Viam rows intact, and names LATITUDESH_BEARER", async () => {
    latitude.faults.statuses = [401];
    const { data } = await overview(server, { org_ids: [ORG.acme], latitude_projects: ["web-prod"] });
    expect(data.rows[1]!.error).toMatch(/LATITUDESH_BEARER/);
    expect(data.rows[0]!.error).toBeNull();
    expect(data.month_to_date_total).toBeCloseTo(data.rows[0]!.month_to_date!, 2);
  });

  it("defaults to VIAM_ORG_ID and LATITUDESH_PROJECT; [] leaves a provider out", async () => {
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
    const embedded = await startServer({});
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
    const mixed = await startServer(liveEnv(viam, { VIAM_ORG_ID: ORG.acme }));
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
