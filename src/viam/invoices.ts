// Invoice figures from GetInvoicesSummary, shared by viam_get_invoices_summary and
// billing_spend_overview so both read invoices, failures and "latest" the same way.
import { z } from "zod";
import { cents, isoDate, isoDateTime } from "../billing/render.js";
import type { ResponseOf } from "./connection.js";

export const invoiceSchema = z.object({
  id: z.string(),
  invoice_date: z.string().nullable().describe("ISO date."),
  amount: z.number().describe("USD."),
  status: z.string().describe("As Viam reports it, e.g. paid, outstanding, or a newer status."),
  due_date: z.string().nullable(),
  paid_date: z.string().nullable(),
  last_payment_failure_reason: z.string().nullable().describe("e.g. card_declined, insufficient_funds; null when none."),
  last_payment_failure_at: z.string().nullable().describe("ISO date-time."),
});
export type Invoice = z.infer<typeof invoiceSchema>;

export const isUnpaid = (inv: Invoice) => inv.status !== "paid";

/** An unpaid invoice whose payment failed: Viam gives a failure reason, or a status such as payment_failed. */
export const hasFailedPayment = (inv: Invoice) => isUnpaid(inv) && (inv.last_payment_failure_reason !== null || /fail/i.test(inv.status));

const DAY_MS = 86_400_000;
const utcDay = (iso: string) => Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / DAY_MS;

/**
 * Whole UTC calendar days since an unpaid invoice's due date (an invoice due today is 0, not
 * yet overdue); null for a paid invoice or one without a due date.
 */
export function daysOverdue(inv: Invoice, now: Date): number | null {
  if (!isUnpaid(inv) || !inv.due_date) return null;
  return Math.max(0, Math.floor(utcDay(now.toISOString()) - utcDay(inv.due_date)));
}

/** Unpaid, and its due date has passed. */
export const isOverdue = (inv: Invoice, now: Date) => (daysOverdue(inv, now) ?? 0) > 0;

/** The status filters that are not Viam statuses but derived from the invoice, with what each means. */
export const DERIVED_STATUS_FILTERS = {
  unpaid: "not paid, whatever the status",
  failed: "not paid, a payment failure recorded",
  overdue: "not paid, due date passed",
} as const;
export type DerivedStatusFilter = keyof typeof DERIVED_STATUS_FILTERS;

export const isDerivedStatusFilter = (status: string): status is DerivedStatusFilter => Object.hasOwn(DERIVED_STATUS_FILTERS, status);

/** Whether an invoice matches `status`: a derived filter, else Viam's status exactly (case aside). */
export function matchesStatus(inv: Invoice, status: string, now: Date): boolean {
  const wanted = status.toLowerCase();
  if (wanted === "unpaid") return isUnpaid(inv);
  if (wanted === "failed") return hasFailedPayment(inv);
  if (wanted === "overdue") return isOverdue(inv, now);
  return inv.status.toLowerCase() === wanted;
}

/** How many invoices have each status, most first. */
export function statusCounts(invoices: readonly Invoice[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const inv of invoices) counts.set(inv.status, (counts.get(inv.status) ?? 0) + 1);
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/** The summary's invoices, newest first. */
export function invoicesNewestFirst(summary: ResponseOf<"getInvoicesSummary">): Invoice[] {
  return summary.invoices
    .map((inv) => ({
      id: inv.id,
      invoice_date: isoDate(inv.invoiceDate),
      amount: cents(inv.invoiceAmount),
      status: inv.status,
      due_date: isoDate(inv.dueDate),
      paid_date: isoDate(inv.paidDate),
      last_payment_failure_reason: inv.lastPaymentFailureReason || null,
      last_payment_failure_at: isoDateTime(inv.lastPaymentFailureAt),
      sortKey: Number(inv.invoiceDate?.seconds ?? 0n),
    }))
    .sort((a, b) => b.sortKey - a.sortKey)
    .map(({ sortKey: _sortKey, ...inv }) => inv);
}
