import { z } from "zod";
import { idField } from "../src/mcp/fields.js";
import { orgLabel } from "../src/viam/org-directory.js";
import { defineWriteTool } from "../src/mcp/tool-definition.js";
import { readRpc, visibleOrg } from "../src/writes/lookups.js";

export default defineWriteTool({
  name: "viam_update_location_billing_organization",
  title: "Change which Viam organization pays for a location",
  description:
    "Makes another organization pay for a location (current payer: viam_get_location_billing_organization). Previews first; acts only when confirmed.",
  access: "write",
  provider: "viam",
  annotations: { destructiveHint: false, idempotentHint: true, openWorldHint: true },
  input: {
    location_id: idField("Viam location id."),
    billing_organization_id: idField("Organization that pays for the location from now on."),
  },
  output: { location_id: z.string(), billing_organization_id: z.string() },
  preview({ location_id, billing_organization_id }) {
    return {
      summary: `Bill location ${location_id} to org ${billing_organization_id} from now on.`,
      details: { location_id, billing_organization_id, email: false },
    };
  },
  async lookUp({ location_id, billing_organization_id }, ctx) {
    const [{ billingOrganizationId: current }, next] = await Promise.all([
      ctx.viam.unary("getLocationBillingOrganization", { locationId: location_id }, readRpc(ctx, `the billing organization of location "${location_id}"`)),
      visibleOrg(billing_organization_id, ctx, "the new paying organization"),
    ]);
    const now = current ? orgLabel(current, await ctx.orgName(current)) : "(no organization)";
    return [`Location ${location_id} is billed now to: ${now}; after: ${next}.`];
  },
  async run({ location_id, billing_organization_id }, ctx) {
    await ctx.viam.unary(
      "updateLocationBillingOrganization",
      { locationId: location_id, billingOrganizationId: billing_organization_id },
      ctx.rpc(`the billing organization of location "${location_id}"`),
    );
    return { structured: { location_id, billing_organization_id }, text: `Location ${location_id} is now billed to org ${billing_organization_id}.` };
  },
});
