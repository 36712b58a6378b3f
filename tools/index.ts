// The single list of tools. A new RPC means one new file and one line here.
import type { ToolDefinition } from "../src/mcp/tool-definition.js";
import billingSpendOverview from "./billing-spend-overview.js";
import latitudeGetBillingUsage from "./latitude-get-billing-usage.js";
import viamChargeOrganization from "./viam-charge-organization.js";
import viamCreateInvoiceAndChargeImmediately from "./viam-create-invoice-and-charge-immediately.js";
import viamGetAvailableBillingTiers from "./viam-get-available-billing-tiers.js";
import viamGetCurrentMonthUsage from "./viam-get-current-month-usage.js";
import viamGetInvoicePdf from "./viam-get-invoice-pdf.js";
import viamGetInvoicesSummary from "./viam-get-invoices-summary.js";
import viamGetLocationBillingOrganization from "./viam-get-location-billing-organization.js";
import viamGetOrgBillingInformation from "./viam-get-org-billing-information.js";
import viamListOrganizations from "./viam-list-organizations.js";
import viamSendPaymentRequiredEmail from "./viam-send-payment-required-email.js";
import viamUpdateLocationBillingOrganization from "./viam-update-location-billing-organization.js";
import viamUpdateOrganizationBillingTier from "./viam-update-organization-billing-tier.js";

// Each definition keeps its own precise types; the list only needs the common shape.
const erase = (tool: object) => tool as ToolDefinition;

export const allTools: readonly ToolDefinition[] = [
  viamListOrganizations,
  viamGetCurrentMonthUsage,
  viamGetOrgBillingInformation,
  viamGetInvoicesSummary,
  viamGetInvoicePdf,
  viamGetAvailableBillingTiers,
  viamGetLocationBillingOrganization,
  latitudeGetBillingUsage,
  billingSpendOverview,
  // Writes: served only with --allow-writes, through the confirmation gate.
  viamSendPaymentRequiredEmail,
  viamUpdateOrganizationBillingTier,
  viamUpdateLocationBillingOrganization,
  viamChargeOrganization,
  viamCreateInvoiceAndChargeImmediately,
].map(erase);
