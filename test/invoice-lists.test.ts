// Invoice lists that scale: an org with hundreds of invoices stays small and choosable.
import { describe, expect, it } from "vitest";
import { FLEET_INVOICE_COUNT, ORG, outstandingBalance } from "../src/sandbox/data.js";
import type { SandboxInvoice } from "../src/sandbox/data.js";
import { testClock } from "./clock.js";
import { call, liveEnv, textOf } from "./harness.js";
import { countTokens } from "./tokens.js";
import { useInProcessServer } from "./in-process.js";

const fx = useInProcessServer((sb) => liveEnv(sb, { VIAM_ORG_ID: ORG.fleet }));

interface Summary {
  outstanding_balance: number;
  total_invoices: number;
  matching_invoices: number;
  shown_invoices: number;
  matching_unpaid_sum: number;
  status_counts: Record<string, number>;
  invoices: { id: string; status: string; invoice_date: string; amount: number; days_overdue: number | null; last_payment_failure_reason: string | null }[];
}

async function summary(args: Record<string, unknown>) {
  const result = await call(fx.server.client, "viam_get_invoices_summary", args);
  expect(result.isError, textOf(result)).toBeFalsy();
  return { s: result.structuredContent as unknown as Summary, text: textOf(result) };
}

const fleet = () => fx.sandbox.state.orgs.get(ORG.fleet)!;
const DAY = 86_400_000;
const utcDay = (d: Date) => Math.floor(d.getTime() / DAY);
/** Whole UTC calendar days from the due date to now, for an unpaid invoice. */
const expectedDaysOverdue = (inv: SandboxInvoice, now: Date) => (inv.status === "paid" ? null : Math.max(0, utcDay(now) - utcDay(inv.dueDate)));
const failedPayment = (inv: SandboxInvoice) => inv.status !== "paid" && (inv.failureReason !== undefined || /fail/i.test(inv.status));
const sum = (xs: { amount: number }[]) => Math.round(xs.reduce((a, x) => a + x.amount, 0) * 100) / 100;

describe("viam_get_invoices_summary with hundreds of invoices", () => {
  it("a default answer shows the 24 newest, states every count, and stays under 2,000 tokens", async () => {
    const { s, text } = await summary({});
    expect(fleet().invoices).toHaveLength(FLEET_INVOICE_COUNT);
    expect(s.total_invoices).toBe(FLEET_INVOICE_COUNT);
    expect(s.matching_invoices).toBe(FLEET_INVOICE_COUNT);
    expect(s.shown_invoices).toBe(24);
    expect(s.invoices).toHaveLength(24);
    expect(s.outstanding_balance).toBeCloseTo(outstandingBalance(fleet()), 2);
    const unpaid = fleet().invoices.filter((i) => i.status !== "paid");
    expect(s.matching_unpaid_sum).toBeCloseTo(sum(unpaid), 2);
    // Newest first.
    const dates = s.invoices.map((i) => i.invoice_date);
    expect([...dates].sort().reverse()).toEqual(dates);
    expect(text).toContain(`${FLEET_INVOICE_COUNT} invoices`);
    expect(text).toMatch(/336 older matching invoices not shown: call again with a larger limit/);
    expect(countTokens(text)).toBeLessThan(2000);
  });

  it("status unpaid: every invoice that is not paid, whatever its status", async () => {
    const unpaid = fleet().invoices.filter((i) => i.status !== "paid");
    expect(new Set(unpaid.map((i) => i.status)).size).toBeGreaterThan(1);
    const { s, text } = await summary({ status: "unpaid", limit: 500 });
    expect(s.matching_invoices).toBe(unpaid.length);
    expect(s.invoices.map((i) => i.id).sort()).toEqual(unpaid.map((i) => i.id).sort());
    expect(s.invoices.every((i) => i.status !== "paid")).toBe(true);
    expect(s.matching_unpaid_sum).toBeCloseTo(sum(unpaid), 2);
    expect(text).not.toMatch(/not shown/);
  });

  it("an exact status and a limit", async () => {
    const failed = fleet().invoices.filter((i) => i.status === "payment_failed");
    const { s } = await summary({ status: "payment_failed", limit: 2 });
    expect(s.matching_invoices).toBe(failed.length);
    expect(s.shown_invoices).toBe(2);
    expect(s.invoices).toHaveLength(2);
    expect(s.invoices.every((i) => i.status === "payment_failed")).toBe(true);
    const paid = await summary({ status: "paid", limit: 500 });
    expect(paid.s.matching_unpaid_sum).toBe(0);
    expect(paid.s.shown_invoices).toBe(FLEET_INVOICE_COUNT - fleet().invoices.filter((i) => i.status !== "paid").length);
  });

  it("status failed: every unpaid invoice with a recorded payment failure (status payment_failed, which the caller need not know)", async () => {
    const failed = fleet().invoices.filter(failedPayment);
    expect(failed.length).toBeGreaterThan(0);
    const { s, text } = await summary({ status: "failed", limit: 500 });
    expect(s.matching_invoices).toBe(failed.length);
    expect(s.invoices.map((i) => i.id).sort()).toEqual(failed.map((i) => i.id).sort());
    expect(s.matching_unpaid_sum).toBeCloseTo(sum(failed), 2);
    expect(text).toContain(`${failed.length} failed`);
  });

  it("status overdue: unpaid and past the due date by the server's clock, each with its days overdue", async () => {
    const now = testClock();
    const overdue = fleet().invoices.filter((i) => (expectedDaysOverdue(i, now) ?? 0) > 0);
    expect(overdue.length).toBeGreaterThan(0);
    const { s, text } = await summary({ status: "overdue", limit: 500 });
    expect(s.invoices.map((i) => i.id).sort()).toEqual(overdue.map((i) => i.id).sort());
    for (const inv of s.invoices) {
      const days = expectedDaysOverdue(fleet().invoices.find((i) => i.id === inv.id)!, now)!;
      expect(inv.days_overdue, inv.id).toBe(days);
      expect(text).toMatch(new RegExp(`^- ${inv.id} .*, ${days} days overdue`, "m"));
    }
  });

  it("status overdue leaves out an unpaid invoice not yet due", async () => {
    const now = testClock();
    const acme = fx.sandbox.state.orgs.get(ORG.acme)!.invoices;
    const notYetDue = acme.filter((i) => expectedDaysOverdue(i, now) === 0);
    expect(notYetDue.length).toBeGreaterThan(0);
    const { s } = await summary({ org_id: ORG.acme, status: "overdue", limit: 500 });
    expect(s.invoices.map((i) => i.id).sort()).toEqual(acme.filter((i) => (expectedDaysOverdue(i, now) ?? 0) > 0).map((i) => i.id).sort());
    const unpaid = await summary({ org_id: ORG.acme, status: "unpaid", limit: 500 });
    for (const inv of notYetDue) expect(unpaid.s.invoices.find((i) => i.id === inv.id)?.days_overdue).toBe(0);
  });

  it("days overdue on every shown invoice: null when paid, whole UTC days past the due date otherwise", async () => {
    const now = testClock();
    const { s } = await summary({ limit: 500 });
    for (const inv of s.invoices) expect(inv.days_overdue, inv.id).toBe(expectedDaysOverdue(fleet().invoices.find((i) => i.id === inv.id)!, now));
    expect(s.invoices.some((i) => (i.days_overdue ?? 0) > 0)).toBe(true);
    expect(s.invoices.some((i) => i.days_overdue === null)).toBe(true);
  });

  it("an exact status no invoice has is answered with the statuses the org's invoices have, never a bare zero", async () => {
    const counts = new Map<string, number>();
    for (const inv of fleet().invoices) counts.set(inv.status, (counts.get(inv.status) ?? 0) + 1);
    const { s, text } = await summary({ status: "failed_payment" });
    expect(s.matching_invoices).toBe(0);
    expect(new Map(Object.entries(s.status_counts))).toEqual(counts);
    for (const [status, n] of counts) expect(text).toContain(`${status} ${n}`);
    expect(text).toMatch(/unpaid, failed, overdue/);
  });

  it("refuses a limit out of range with what to fix", async () => {
    const result = await call(fx.server.client, "viam_get_invoices_summary", { limit: 501 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/limit/);
  });
});
