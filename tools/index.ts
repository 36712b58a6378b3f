// The single list of tools. A new RPC means one new file and one line here.
import type { ToolDefinition } from "../src/tool-definition.js";
import billingSpendOverview from "./billing-spend-overview.js";
import latitudeGetBillingUsage from "./latitude-get-billing-usage.js";
import viamGetAvailableBillingTiers from "./viam-get-available-billing-tiers.js";
import viamGetCurrentMonthUsage from "./viam-get-current-month-usage.js";
import viamGetInvoicePdf from "./viam-get-invoice-pdf.js";
import viamGetInvoicesSummary from "./viam-get-invoices-summary.js";
import viamGetLocationBillingOrganization from "./viam-get-location-billing-organization.js";
import viamGetOrgBillingInformation from "./viam-get-org-billing-information.js";

// Each definition keeps its own precise types; the list only needs the common shape.
const erase = (tool: object) => tool as ToolDefinition;

export const allTools: readonly ToolDefinition[] = [
  viamGetCurrentMonthUsage,
  viamGetOrgBillingInformation,
  viamGetInvoicesSummary,
  viamGetInvoicePdf,
  viamGetAvailableBillingTiers,
  viamGetLocationBillingOrganization,
  latitudeGetBillingUsage,
  billingSpendOverview,
].map(erase);
