import { z } from "zod";
import { orgLabel } from "../src/viam/org-directory.js";
import { defineTool, READ_ONLY } from "../src/mcp/tool-definition.js";

const DEFAULT_SOURCES = {
  VIAM_ORG_ID: "set by VIAM_ORG_ID",
  sandbox: "the embedded sandbox's default",
  "only organization": "the only organization the key sees",
} as const;

export default defineTool({
  name: "viam_list_organizations",
  title: "Viam organizations",
  description: "Viam organizations the API key can see (id, name) and the default org.",
  access: "read",
  provider: "viam",
  annotations: READ_ONLY,
  input: {},
  output: {
    organizations: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        is_default: z.boolean().describe("True for the org used when a tool's org_id is omitted."),
      }),
    ),
    default_org_id: z.string().nullable().describe("The org used when org_id is omitted; null when calls must name one."),
    default_source: z.enum(["VIAM_ORG_ID", "sandbox", "only organization"]).nullable().describe("Where the default comes from."),
  },
  async run(_args, ctx) {
    const orgs = await ctx.organizations();
    const fallback = ctx.orgs.defaultOrg(orgs);
    const organizations = orgs.map((o) => ({ id: o.id, name: o.name, is_default: o.id === fallback?.id }));
    const lines = [`Viam organizations this API key can see: ${orgs.length}.`];
    for (const o of organizations) lines.push(`- ${orgLabel(o.id, o.name)}${o.is_default ? " [default]" : ""}`);
    if (fallback) {
      const listed = organizations.some((o) => o.is_default) ? "" : " (not among those listed)";
      lines.push(`Default when org_id is omitted: ${fallback.id}, ${DEFAULT_SOURCES[fallback.source]}${listed}.`);
    } else if (orgs.length > 1) {
      lines.push("No default: pass org_id, or set VIAM_ORG_ID.");
    }
    if (orgs.length) lines.push("Billing tools need the key to be an owner of the org; for others they answer permission denied.");
    return { structured: { organizations, default_org_id: fallback?.id ?? null, default_source: fallback?.source ?? null }, text: lines.join("\n") };
  },
});
