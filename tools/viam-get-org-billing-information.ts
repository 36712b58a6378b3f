import { z } from "zod";
import { orgIdField } from "../src/mcp/fields.js";
import { orgLabel } from "../src/viam/org-directory.js";
import { isoDateFromSeconds } from "../src/billing/render.js";
import { defineTool, READ_ONLY } from "../src/mcp/tool-definition.js";
import { paymentMethodTypeName } from "../src/viam/proto.js";

export default defineTool({
  name: "viam_get_org_billing_information",
  title: "Viam billing information",
  description:
    "How an organization pays: card, or US bank account with its verification state; billing email and tier. Use to see why payments fail.",
  access: "read",
  provider: "viam",
  annotations: READ_ONLY,
  input: { org_id: orgIdField },
  output: {
    org_id: z.string(),
    org_name: z.string().nullable().describe("The organization's name; null when unknown."),
    payment_method_type: z.string().describe("card, usbankaccount, unspecified, or unrecognised_N."),
    billing_email: z.string(),
    billing_tier: z.string().nullable().describe("Null when Viam does not return it (only billing-dashboard admins see it)."),
    card: z.object({ brand: z.string(), last_four_digits: z.string() }).nullable(),
    us_bank_account: z
      .object({
        bank_name: z.string(),
        last_four_digits_account_number: z.string(),
        routing_number: z.string(),
        account_type: z.string(),
        verification: z
          .object({ arrival_date: z.string().nullable().describe("ISO date the micro-deposits arrive."), hosted_verification_page_url: z.string() })
          .nullable()
          .describe("Present while the account is unverified."),
      })
      .nullable(),
  },
  async run({ org_id }, ctx) {
    const orgId = await ctx.orgId(org_id);
    const [info, orgName] = await Promise.all([
      ctx.viam.unary("getOrgBillingInformation", { orgId }, ctx.rpc(`billing information of org "${orgId}"`)),
      ctx.orgName(orgId),
    ]);
    const bank = info.methodUsBankAccount;
    const verification = bank?.verificationInfo;
    const arrival = verification ? isoDateFromSeconds(verification.arrivalDate) : null;
    const structured = {
      org_id: orgId,
      org_name: orgName,
      payment_method_type: paymentMethodTypeName(info.type),
      billing_email: info.billingEmail,
      billing_tier: info.billingTier ?? null,
      card: info.method ? { brand: info.method.brand, last_four_digits: info.method.lastFourDigits } : null,
      us_bank_account: bank
        ? {
            bank_name: bank.bankName,
            last_four_digits_account_number: bank.lastFourDigitsAccountNumber,
            routing_number: bank.routingNumber,
            account_type: bank.accountType,
            verification: verification ? { arrival_date: arrival, hosted_verification_page_url: verification.hostedVerificationPageUrl } : null,
          }
        : null,
    };
    const lines = [`Viam billing, org ${orgLabel(orgId, orgName)}: payment method ${structured.payment_method_type}; email ${info.billingEmail || "(none)"}; tier ${structured.billing_tier ?? "(not returned)"}`];
    if (structured.card) lines.push(`Card: ${structured.card.brand} ending ${structured.card.last_four_digits}`);
    if (bank) {
      lines.push(`US bank account: ${bank.bankName} ${bank.accountType} ending ${bank.lastFourDigitsAccountNumber}, routing ${bank.routingNumber}`);
      if (verification) lines.push(`Unverified: micro-deposits arrive ${arrival ?? "?"}; verify at ${verification.hostedVerificationPageUrl}`);
    }
    return { structured, text: lines.join("\n") };
  },
});
