// Invoice lists that scale: an org with hundreds of invoices stays small and choosable.
import { describe, expect, it } from "vitest";
import { FLEET_INVOICE_COUNT, ORG, outstandingBalance } from "../src/sandbox/data.js";
import { call, liveEnv, textOf, useSandboxedServer } from "./harness.js";
import { countTokens } from "./tokens.js";

const fx = useSandboxedServer((sb) => liveEnv(sb, { VIAM_ORG_ID: ORG.fleet }));

interface Summary {
  outstanding_balance: number;
  total_invoices: number;
  matching_invoices: number;
  shown_invoices: number;
  matching_unpaid_sum: number;
  invoices: { id: string; status: string; invoice_date: string; amount: number }[];
}

async function summary(args: Record<string, unknown>) {
  const result = await call(fx.server.client, "viam_get_invoices_summary", args);
  expect(result.isError, textOf(result)).toBeFalsy();
  return { s: result.structuredContent as unknown as Summary, text: textOf(result) };
}

const fleet = () => fx.sandbox.state.orgs.get(ORG.fleet)!;
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

  it("refuses a limit out of range with what to fix", async () => {
    const result = await call(fx.server.client, "viam_get_invoices_summary", { limit: 501 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/limit/);
  });
});
