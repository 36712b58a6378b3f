import { z } from "zod";
import { idField } from "../src/mcp/fields.js";
import { defineTool, READ_ONLY } from "../src/mcp/tool-definition.js";

export default defineTool({
  name: "viam_get_location_billing_organization",
  title: "Viam location's billing organization",
  description: "Which organization pays for a Viam location.",
  access: "read",
  provider: "viam",
  annotations: READ_ONLY,
  input: { location_id: idField("Viam location id.") },
  output: { location_id: z.string(), billing_organization_id: z.string() },
  async run({ location_id }, ctx) {
    const { billingOrganizationId } = await ctx.viam.unary(
      "getLocationBillingOrganization",
      { locationId: location_id },
      ctx.rpc(`billing organization of location "${location_id}"`),
    );
    return {
      structured: { location_id, billing_organization_id: billingOrganizationId },
      text: `Location ${location_id} is billed to org ${billingOrganizationId || "(none)"}`,
    };
  },
});
