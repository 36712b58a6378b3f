// What the server says about itself in the initialize answer. Kept apart from server.ts so
// that start-up (src/front.ts) can answer initialize without loading the MCP SDK or zod.
import type { Config } from "./config.js";

export const SERVER_NAME = "billing-mcp";
export const SERVER_VERSION = "0.1.0";

export function instructions(config: Config): string {
  const lines = [
    "Billing tools for Viam (usage, invoices, payment method, tiers) over the Viam API. Money is USD; dates are ISO.",
    "Read tools are safe to call freely. Use viam_get_invoices_summary to find invoice ids.",
  ];
  if (!config.defaultOrgId) lines.push("No default organization is set: pass org_id.");
  else lines.push(`Default organization: ${config.defaultOrgId} (used when org_id is omitted).`);
  if (config.viam.kind === "sandbox") {
    lines.push("SANDBOX MODE: no Viam credentials are configured, so every answer is demo data from the embedded sandbox, not real billing. Say so when you report figures. Sandbox orgs: org-acme, org-fieldworks, org-orbital, org-fleet, org-empty.");
  }
  return lines.join("\n");
}
