// What a write's preview reads from Viam before anyone is asked to confirm (read calls only):
// who is charged and how they pay, the current tier or paying org, and whether the ids exist.
// A ToolError from here refuses the preview, so no token is issued for an org the key cannot see.
import { ToolError } from "../core/errors.js";
import { orgLabel } from "../viam/org-directory.js";
import { isoDateFromSeconds, money } from "../billing/render.js";
import type { ToolContext } from "../mcp/tool-definition.js";
import { hasFailedPayment, invoicesNewestFirst } from "../viam/invoices.js";
import type { ResponseOf } from "../viam/connection.js";

/** Options for a preview's read call: retried like any read, within the call's deadline. */
export const readRpc = (ctx: ToolContext, what: string) => ({ ...ctx.rpc(what), retryable: true });

/** "card visa ending 4242", "US bank account ... UNVERIFIED ...", or that there is none. */
export function paymentMethodLine(info: ResponseOf<"getOrgBillingInformation">): string {
  if (info.method) return `card ${info.method.brand} ending ${info.method.lastFourDigits}`;
  const bank = info.methodUsBankAccount;
  if (bank) {
    const verification = bank.verificationInfo;
    const arrival = (verification && isoDateFromSeconds(verification.arrivalDate)) ?? "?";
    return `US bank account ${bank.bankName} ending ${bank.lastFourDigitsAccountNumber}${verification ? `, UNVERIFIED (micro-deposits arrive ${arrival}): a charge may fail` : ""}`;
  }
  return "NONE ON FILE: the charge cannot be collected";
}

/** The charged org by name, its payment method, and its unpaid invoices whose payment failed. */
export async function chargeLookups(orgId: string, ctx: ToolContext): Promise<string[]> {
  const [info, summary, name] = await Promise.all([
    ctx.viam.unary("getOrgBillingInformation", { orgId }, readRpc(ctx, `billing information of org "${orgId}"`)),
    ctx.viam.unary("getInvoicesSummary", { orgId }, readRpc(ctx, `invoices of org "${orgId}"`)),
    ctx.orgName(orgId),
  ]);
  const failed = invoicesNewestFirst(summary).filter(hasFailedPayment);
  const latest = failed[0];
  return [
    `Charged organization: ${orgLabel(orgId, name)}.`,
    `Payment method: ${paymentMethodLine(info)}.`,
    latest
      ? `Payment failures: ${failed.length} unpaid invoice${failed.length === 1 ? "" : "s"} with a failed payment, the latest ${latest.id} ${money(latest.amount)} USD (${latest.last_payment_failure_reason ?? latest.status}${latest.last_payment_failure_at ? ` at ${latest.last_payment_failure_at}` : ""}).`
      : "Payment failures: none unpaid.",
  ];
}

/** An org the key cannot see is refused; its name when it can. Unknown (listing failed): not refused. */
export async function visibleOrg(orgId: string, ctx: ToolContext, role: string): Promise<string> {
  let orgs;
  try {
    orgs = await ctx.organizations();
  } catch {
    return orgId;
  }
  const found = orgs.find((o) => o.id === orgId);
  if (!found) throw new ToolError(`Not found: this API key sees no organization ${JSON.stringify(orgId)} (${role}); viam_list_organizations lists the ones it sees.`);
  return orgLabel(found.id, found.name);
}

/** What the invoice a charge created says now: its status, and why a payment failed. */
export async function invoiceState(orgId: string, invoiceId: string, ctx: ToolContext): Promise<{ status: string | null; text: string }> {
  try {
    const summary = await ctx.viam.unary("getInvoicesSummary", { orgId }, readRpc(ctx, `invoices of org "${orgId}"`));
    const invoice = invoicesNewestFirst(summary).find((i) => i.id === invoiceId);
    if (!invoice) return { status: null, text: `invoice ${invoiceId} (not yet listed by Viam: check viam_get_invoices_summary later)` };
    const state =
      invoice.status === "paid"
        ? "paid"
        : hasFailedPayment(invoice)
          ? `payment FAILED (${invoice.last_payment_failure_reason ?? invoice.status})`
          : `${invoice.status}, not paid yet${invoice.due_date ? `, due ${invoice.due_date}` : ""}`;
    return { status: invoice.status, text: `invoice ${invoiceId}, ${state}` };
  } catch (err) {
    return { status: null, text: `invoice ${invoiceId} (its state could not be read: ${err instanceof Error ? err.message : String(err)})` };
  }
}
