import { z } from "zod";
import { idField, optionalIdField, optionalTextField, usdAmountField } from "../src/mcp/fields.js";
import { usd } from "../src/billing/render.js";
import { allowDuplicateField } from "../src/writes/confirmation-gate.js";
import { defineWriteTool } from "../src/mcp/tool-definition.js";
import { chargeLookups, invoiceState } from "../src/writes/lookups.js";

export default defineWriteTool({
  name: "viam_create_invoice_and_charge_immediately",
  title: "Invoice and charge a Viam organization (deprecated)",
  description:
    "DEPRECATED upstream: use viam_charge_organization. Invoices an amount (USD) and charges the organization now. Previews first; charges only when confirmed. Refused above BILLING_MCP_MAX_CHARGE.",
  access: "write",
  provider: "viam",
  annotations: { destructiveHint: true, idempotentHint: false, openWorldHint: true },
  input: {
    org_id_to_charge: idField("Viam organization whose payment method is charged."),
    amount: usdAmountField("Amount to invoice and charge, USD."),
    description: optionalTextField("Invoice line shown to the customer."),
    org_id_for_branding: optionalIdField("Organization whose branding the invoice and email carry (default: Viam's)."),
    disable_email: z.boolean().default(false).describe("True: Viam sends no email about the invoice (default false: it does)."),
    allow_duplicate: allowDuplicateField,
  },
  output: {
    invoice_id: z.string().describe("The invoice Viam created."),
    invoice_status: z.string().nullable().describe("Its status read back after the charge; null if unreadable."),
  },
  preview(args) {
    const branding = args.org_id_for_branding ? `, branded as org ${args.org_id_for_branding}` : "";
    const email = !args.disable_email;
    return {
      summary: `Invoice and charge org ${args.org_id_to_charge} ${usd(args.amount)} now${args.description ? `, "${args.description}"` : ""}${branding}; ${email ? "Viam emails the organization" : "no email"}.`,
      details: {
        org_id_to_charge: args.org_id_to_charge,
        currency: "USD",
        total: args.amount,
        description: args.description ?? null,
        org_id_for_branding: args.org_id_for_branding ?? null,
        email,
      },
      chargeUsd: args.amount,
      chargeTo: args.org_id_to_charge,
    };
  },
  lookUp: (args, ctx) => chargeLookups(args.org_id_to_charge, ctx),
  async run(args, ctx) {
    const { invoiceId } = await ctx.viam.unary(
      "createInvoiceAndChargeImmediately",
      {
        orgIdToCharge: args.org_id_to_charge,
        amount: args.amount,
        description: args.description,
        orgIdForBranding: args.org_id_for_branding,
        disableEmail: args.disable_email,
      },
      ctx.rpc(`an invoice and charge to org "${args.org_id_to_charge}"`),
    );
    const state = await invoiceState(args.org_id_to_charge, invoiceId, ctx);
    return { structured: { invoice_id: invoiceId, invoice_status: state.status }, text: `Invoiced and charged org ${args.org_id_to_charge} ${usd(args.amount)}: ${state.text}.` };
  },
});
