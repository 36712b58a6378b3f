import { z } from "zod";
import { idField } from "../src/mcp/fields.js";
import { defineWriteTool } from "../src/mcp/tool-definition.js";
import { visibleOrg } from "../src/writes/lookups.js";

export default defineWriteTool({
  name: "viam_send_payment_required_email",
  title: "Send a Viam payment-required email",
  description:
    "Emails a customer organization that a payment is required, on behalf of the organization that bills it. Previews first; sends only when confirmed.",
  access: "write",
  provider: "viam",
  annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: true },
  input: {
    customer_org_id: idField("Organization that receives the email (the one that must pay)."),
    billing_owner_org_id: idField("Organization that bills the customer and sends the email."),
  },
  output: { customer_org_id: z.string(), email_sent: z.literal(true) },
  preview({ customer_org_id, billing_owner_org_id }) {
    return {
      summary: `Email org ${customer_org_id} that a payment is required, on behalf of billing owner org ${billing_owner_org_id}.`,
      details: { customer_org_id, billing_owner_org_id, email: true },
    };
  },
  async lookUp({ customer_org_id, billing_owner_org_id }, ctx) {
    const [customer, owner] = await Promise.all([visibleOrg(customer_org_id, ctx, "the customer"), visibleOrg(billing_owner_org_id, ctx, "the billing owner")]);
    return [`Customer (receives the email): ${customer}; billing owner (sends it): ${owner}.`];
  },
  async run({ customer_org_id, billing_owner_org_id }, ctx) {
    await ctx.viam.unary(
      "sendPaymentRequiredEmail",
      { customerOrgId: customer_org_id, billingOwnerOrgId: billing_owner_org_id },
      ctx.rpc(`a payment-required email to org "${customer_org_id}"`),
    );
    return { structured: { customer_org_id, email_sent: true as const }, text: `Sent org ${customer_org_id} a payment-required email (billing owner ${billing_owner_org_id}).` };
  },
});
