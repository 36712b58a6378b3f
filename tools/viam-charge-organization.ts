import { z } from "zod";
import { idField, optionalIdField, optionalTextField, usdAmountField, usdField } from "../src/mcp/fields.js";
import { cents, usd } from "../src/billing/render.js";
import { allowDuplicateField } from "../src/writes/confirmation-gate.js";
import { defineWriteTool } from "../src/mcp/tool-definition.js";
import { chargeLookups, invoiceState } from "../src/writes/lookups.js";

export default defineWriteTool({
  name: "viam_charge_organization",
  title: "Charge a Viam organization",
  description:
    "Charges an organization's payment method now (subtotal + tax, USD) and creates an invoice. Previews first; charges only when confirmed. Refused above BILLING_MCP_MAX_CHARGE.",
  access: "write",
  provider: "viam",
  annotations: { destructiveHint: true, idempotentHint: false, openWorldHint: true },
  input: {
    org_id_to_charge: idField("Viam organization whose payment method is charged."),
    subtotal: usdAmountField("Amount before tax, USD."),
    tax: usdField("Tax, USD (0 for none)."),
    description: optionalTextField("Invoice line shown to the customer."),
    org_id_for_branding: optionalIdField("Organization whose branding the invoice and email carry (default: Viam's)."),
    disable_confirmation_email: z.boolean().default(false).describe("True: Viam sends no confirmation email to the charged organization (default false: it does)."),
    allow_duplicate: allowDuplicateField,
  },
  output: {
    invoice_id: z.string().describe("The invoice Viam created for the charge."),
    invoice_status: z.string().nullable().describe("Its status read back after the charge; null if unreadable."),
  },
  preview(args) {
    const total = cents(args.subtotal + args.tax);
    const branding = args.org_id_for_branding ? `, branded as org ${args.org_id_for_branding}` : "";
    const email = !args.disable_confirmation_email;
    return {
      summary: `Charge org ${args.org_id_to_charge} ${usd(total)} now (subtotal ${usd(args.subtotal)} + tax ${usd(args.tax)})${args.description ? `, "${args.description}"` : ""}${branding}; ${email ? "Viam emails a confirmation to the organization" : "no confirmation email"}.`,
      details: {
        org_id_to_charge: args.org_id_to_charge,
        currency: "USD",
        subtotal: args.subtotal,
        tax: args.tax,
        total,
        description: args.description ?? null,
        org_id_for_branding: args.org_id_for_branding ?? null,
        confirmation_email: email,
      },
      chargeUsd: total,
      chargeTo: args.org_id_to_charge,
    };
  },
  lookUp: (args, ctx) => chargeLookups(args.org_id_to_charge, ctx),
  async run(args, ctx) {
    const { invoiceId } = await ctx.viam.unary(
      "chargeOrganization",
      {
        orgIdToCharge: args.org_id_to_charge,
        subtotal: args.subtotal,
        tax: args.tax,
        description: args.description,
        orgIdForBranding: args.org_id_for_branding,
        disableConfirmationEmail: args.disable_confirmation_email,
      },
      ctx.rpc(`a charge to org "${args.org_id_to_charge}"`),
    );
    // Report what the invoice says now, not what was asked: a charge can leave it unpaid.
    const state = await invoiceState(args.org_id_to_charge, invoiceId, ctx);
    return {
      structured: { invoice_id: invoiceId, invoice_status: state.status },
      text: `Charged org ${args.org_id_to_charge} ${usd(cents(args.subtotal + args.tax))}: ${state.text}.`,
    };
  },
});
