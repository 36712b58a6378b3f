import { z } from "zod";
import { idField } from "../src/mcp/fields.js";
import { ToolError } from "../src/core/errors.js";
import { defineWriteTool } from "../src/mcp/tool-definition.js";
import { readRpc, visibleOrg } from "../src/writes/lookups.js";

export default defineWriteTool({
  name: "viam_update_organization_billing_tier",
  title: "Change a Viam organization's billing tier",
  description:
    "Sets an org's billing tier (its pricing). Tiers: viam_get_available_billing_tiers. Previews first; acts only when confirmed.",
  access: "write",
  provider: "viam",
  annotations: { destructiveHint: false, idempotentHint: true, openWorldHint: true },
  input: {
    organization_id: idField("Viam organization whose tier changes."),
    billing_tier: idField("New tier name, from viam_get_available_billing_tiers."),
  },
  output: { organization_id: z.string(), billing_tier: z.string() },
  preview({ organization_id, billing_tier }) {
    return {
      summary: `Set org ${organization_id}'s billing tier to "${billing_tier}" (changes its pricing from now on).`,
      details: { organization_id, billing_tier, email: false },
    };
  },
  async lookUp({ organization_id, billing_tier }, ctx) {
    const [info, { tiers }, org] = await Promise.all([
      ctx.viam.unary("getOrgBillingInformation", { orgId: organization_id }, readRpc(ctx, `billing information of org "${organization_id}"`)),
      ctx.viam.unary("getAvailableBillingTiers", {}, readRpc(ctx, "the available billing tiers")),
      visibleOrg(organization_id, ctx, "whose tier would change"),
    ]);
    if (!tiers.includes(billing_tier)) throw new ToolError(`"${billing_tier}" is not a billing tier; the available ones are ${tiers.join(", ")}.`);
    return [`Organization: ${org}.`, `Tier now: ${info.billingTier ?? "(not returned by Viam)"}; after: ${billing_tier}.`];
  },
  async run({ organization_id, billing_tier }, ctx) {
    await ctx.viam.unary(
      "updateOrganizationBillingTier",
      { organizationId: organization_id, billingTier: billing_tier },
      ctx.rpc(`the billing tier of org "${organization_id}"`),
    );
    return { structured: { organization_id, billing_tier }, text: `Org ${organization_id} is now on billing tier "${billing_tier}".` };
  },
});
