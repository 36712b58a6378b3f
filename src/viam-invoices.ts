// Invoice figures from GetInvoicesSummary, shared by viam_get_invoices_summary and
// billing_spend_overview so both read invoices, failures and "latest" the same way.
import { z } from "zod";
import { cents, isoDate, isoDateTime } from "./render.js";
import type { ResponseOf } from "./viam-connection.js";

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
