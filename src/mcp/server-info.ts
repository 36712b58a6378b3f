// What the server says about itself in the initialize answer. Kept apart from server.ts so
// that start-up (src/front.ts) can answer initialize without loading the MCP SDK or zod.
import type { Config } from "../core/config.js";
import { LATITUDE_SANDBOX_PROJECTS } from "../sandbox/latitude-data.js";
import { PACKAGE_VERSION } from "../core/version.js";

export const SERVER_NAME = "billing-mcp";
export const SERVER_VERSION = PACKAGE_VERSION;

/**
 * The default organization when the Viam target is the embedded sandbox and VIAM_ORG_ID is
 * unset (ORG.acme of src/sandbox/data.ts, named here so live servers do not load the demo data).
 */
export const SANDBOX_DEFAULT_ORG = "org-acme";

/** `unresolved`: earlier charge attempts that got no answer (see src/writes/charge-ledger.ts), described. */
export function instructions(config: Config, allowWrites = false, unresolved: readonly string[] = []): string {
  const lines = [
    "Billing tools for Viam (usage, invoices, payment method, tiers) and Latitude.sh (billing usage per project). Money is USD; dates are ISO.",
    "Read tools are safe to call freely. viam_list_organizations lists the organizations (id, name); viam_get_invoices_summary finds invoice ids; billing_spend_overview answers 'what are we spending, everywhere, this month?' in one call.",
  ];
  if (allowWrites) {
    lines.push(
      "Write tools (charges, tier and location changes, payment emails) never act on a first call: it returns a preview and a confirmation_token. Show the preview to the user and call again with confirm: true and the token only after the user explicitly agrees. A token works once, for exactly the previewed arguments, and expires in minutes.",
    );
  } else {
    lines.push(
      "Charge and update tools (charging an org, billing tier and billing-location changes, payment-required emails) exist but are off; they are enabled by restarting the server with --allow-writes or BILLING_MCP_ALLOW_WRITES=true, and even then act only after the user confirms.",
    );
  }
  if (unresolved.length) {
    lines.push(
      `UNRESOLVED CHARGE: an earlier server process stopped before Viam answered: ${unresolved.join("; ")}. It may or may not have happened: before charging that organization again, check with viam_get_invoices_summary and tell the user.`,
    );
  }
  if (config.defaultOrgId) lines.push(`Default organization: ${config.defaultOrgId} (VIAM_ORG_ID; used when org_id is omitted).`);
  else if (config.viam.kind === "sandbox") lines.push(`Default organization: ${SANDBOX_DEFAULT_ORG}, the sandbox's (used when org_id is omitted).`);
  else lines.push("No default organization is set: pass org_id, unless the API key sees only one organization.");
  if (config.viam.kind === "sandbox") {
    lines.push(
      "SANDBOX MODE: no Viam credentials are configured, so every answer is demo data from the embedded sandbox, not real billing. Say so when you report figures. Sandbox orgs: org-acme, org-fieldworks, org-orbital, org-fleet, org-empty, and org-restricted (listed, but the key is not its owner: its billing is refused).",
    );
  }
  if (config.defaultLatitudeProject) lines.push(`Default Latitude.sh project: ${config.defaultLatitudeProject} (used when project is omitted).`);
  if (config.latitude.kind === "sandbox") {
    lines.push(`LATITUDE SANDBOX: no LATITUDESH_BEARER is configured, so Latitude.sh answers are demo data. Sandbox projects: ${LATITUDE_SANDBOX_PROJECTS.map((p) => `${p.id} (slug ${p.slug})`).join(", ")}.`);
  }
  return lines.join("\n");
}
