import { z } from "zod";
import { boundedText, orgIdField } from "../src/mcp/fields.js";
import { orgLabel } from "../src/viam/org-directory.js";
import { cents, money, usd } from "../src/billing/render.js";
import { defineTool, READ_ONLY } from "../src/mcp/tool-definition.js";
import { SPEND_APP_URI } from "../src/mcp/spend-app.js";
import { daysOverdue, DERIVED_STATUS_FILTERS, invoicesNewestFirst, invoiceSchema, isDerivedStatusFilter, isUnpaid, matchesStatus, statusCounts } from "../src/viam/invoices.js";
import type { Invoice } from "../src/viam/invoices.js";

const DEFAULT_LIMIT = 24;

export default defineTool({
  name: "viam_get_invoices_summary",
  title: "Viam invoices",
  description:
    "An org's outstanding balance and invoices, newest first: id, date, USD amount, status, due/paid date, days overdue, last payment failure; filters unpaid, failed, overdue.",
  access: "read",
  provider: "viam",
  annotations: READ_ONLY,
  app: { resourceUri: SPEND_APP_URI },
  input: {
    org_id: orgIdField,
    status: boundedText(64)
      .optional()
      .describe("unpaid, failed (payment failure recorded), overdue (past due), or an exact status, e.g. paid, outstanding, payment_failed."),
    limit: z.number().int().min(1).max(500).optional().describe(`How many of the newest matching invoices to show (default ${DEFAULT_LIMIT}).`),
  },
  output: {
    org_id: z.string(),
    org_name: z.string().nullable().describe("The organization's name; null when unknown."),
    currency: z.literal("USD"),
    outstanding_balance: z.number(),
    total_invoices: z.number().int().describe("How many invoices the org has."),
    status_counts: z.record(z.string(), z.number().int()).describe("How many of the org's invoices have each status."),
    matching_invoices: z.number().int().describe("How many match the status filter."),
    shown_invoices: z.number().int(),
    matching_unpaid_sum: z.number().describe("Sum of the matching invoices that are not paid, USD."),
    invoices: z
      .array(invoiceSchema.extend({ days_overdue: z.number().int().nullable().describe("Days past the due date if unpaid (0: not yet due); null if paid.") }))
      .describe("Exactly the invoices shown, newest first."),
  },
  async run({ org_id, status, limit = DEFAULT_LIMIT }, ctx) {
    const orgId = await ctx.orgId(org_id);
    const [summary, orgName] = await Promise.all([
      ctx.viam.unary("getInvoicesSummary", { orgId }, ctx.rpc(`invoices of org "${orgId}"`)),
      ctx.orgName(orgId),
    ]);
    const now = ctx.config.clock();
    const all: Invoice[] = invoicesNewestFirst(summary);
    const matching = status === undefined ? all : all.filter((inv) => matchesStatus(inv, status, now));
    const shown = matching.slice(0, limit).map((inv) => ({ ...inv, days_overdue: daysOverdue(inv, now) }));
    const unpaidSum = matching.filter(isUnpaid).reduce((sum, inv) => sum + inv.amount, 0);
    const counts = statusCounts(all);

    const structured = {
      org_id: orgId,
      org_name: orgName,
      currency: "USD" as const,
      outstanding_balance: cents(summary.outstandingBalance),
      total_invoices: all.length,
      status_counts: counts,
      matching_invoices: matching.length,
      shown_invoices: shown.length,
      matching_unpaid_sum: cents(unpaidSum),
      invoices: shown,
    };
    const derived = status !== undefined && isDerivedStatusFilter(status.toLowerCase());
    const filter = status === undefined ? "" : derived ? `, ${matching.length} ${status.toLowerCase()} (${DERIVED_STATUS_FILTERS[status.toLowerCase() as keyof typeof DERIVED_STATUS_FILTERS]})` : `, ${matching.length} with status ${status}`;
    const lines = [
      `Viam invoices, org ${orgLabel(orgId, orgName)}: outstanding balance ${usd(summary.outstandingBalance)}; ${all.length} invoices${filter}, ${shown.length} shown (newest first); unpaid among ${status ? "the matching" : "them"} ${usd(unpaidSum)}. Amounts in USD.`,
    ];
    if (status !== undefined && matching.length === 0) {
      const have = Object.entries(counts).map(([s, n]) => `${s} ${n}`).join(", ");
      lines.push(
        all.length
          ? `Statuses this org's invoices have: ${have}. status takes one of these, or ${Object.keys(DERIVED_STATUS_FILTERS).join(", ")}.`
          : "This org has no invoices.",
      );
    }
    for (const inv of shown) {
      const parts = [`${inv.id} ${inv.invoice_date ?? "?"} ${money(inv.amount)} ${inv.status}`];
      if (inv.paid_date) parts.push(`paid ${inv.paid_date}`);
      else if (inv.due_date) parts.push(`due ${inv.due_date}${inv.days_overdue ? `, ${inv.days_overdue} days overdue` : ""}`);
      if (inv.last_payment_failure_reason) parts.push(`last payment failed: ${inv.last_payment_failure_reason}${inv.last_payment_failure_at ? ` at ${inv.last_payment_failure_at}` : ""}`);
      lines.push(`- ${parts.join("; ")}`);
    }
    if (shown.length < matching.length) {
      lines.push(`${matching.length - shown.length} older matching invoices not shown: call again with a larger limit (max 500)${status ? "" : " or a status filter such as 'unpaid'"}.`);
    }
    return { structured, text: lines.join("\n") };
  },
});
