import { z } from "zod";
import { defineTool, READ_ONLY } from "../src/mcp/tool-definition.js";

export default defineTool({
  name: "viam_get_available_billing_tiers",
  title: "Viam billing tiers",
  description: "The billing tier names Viam offers (the values viam_update_organization_billing_tier accepts).",
  access: "read",
  provider: "viam",
  annotations: READ_ONLY,
  input: {},
  output: { tiers: z.array(z.string()) },
  async run(_args, ctx) {
    const { tiers } = await ctx.viam.unary("getAvailableBillingTiers", {}, ctx.rpc("available billing tiers"));
    return { structured: { tiers }, text: `Viam billing tiers: ${tiers.length ? tiers.join(", ") : "(none)"}` };
  },
});
