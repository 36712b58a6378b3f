import { z } from "zod";
import { orgIdField } from "../src/fields.js";
import { cents, isoDate, money, usd } from "../src/render.js";
import { defineTool, READ_ONLY } from "../src/tool-definition.js";
import { sourceTypeName, usageCostTypeName } from "../src/viam-proto.js";

const LEGACY_FIELDS = {
  cloudStorageUsageCost: "cloud_storage",
  dataUploadUsageCost: "data_upload",
  dataEgresUsageCost: "data_egress",
  remoteControlUsageCost: "remote_control",
  standardComputeUsageCost: "standard_compute",
  perMachineUsageCost: "per_machine",
  binaryDataCloudStorageUsageCost: "binary_data_cloud_storage",
  otherCloudStorageUsageCost: "other_cloud_storage",
  discountAmount: "discount",
  totalUsageWithDiscount: "total_with_discount",
  totalUsageWithoutDiscount: "total_without_discount",
} as const;

const costLine = z.object({
  resource_type: z.string().describe("Usage cost type, e.g. remote_control; unknown_N for a type newer than this server."),
  cost: z.number().describe("USD."),
});

export default defineTool({
  name: "viam_get_current_month_usage",
  title: "Viam usage this month",
  description:
    "Month-to-date Viam usage cost of an organization: billing period, subtotal in USD, and costs by source (the org itself and each fragment, with its tier), by resource type, with discounts. Use for 'what are we spending on Viam this month?'.",
  access: "read",
  provider: "viam",
  annotations: READ_ONLY,
  input: { org_id: orgIdField },
  output: {
    org_id: z.string(),
    currency: z.literal("USD"),
    period_start: z.string().nullable().describe("ISO date."),
    period_end: z.string().nullable().describe("ISO date."),
    subtotal: z.number().describe("Month-to-date total in USD, after discounts."),
    sources: z.array(
      z.object({
        source_type: z.string().describe("org, fragment, or unknown_N."),
        tier_name: z.string(),
        total_without_discount: z.number(),
        discount: z.number(),
        total_with_discount: z.number(),
        costs: z.array(costLine),
      }),
    ),
    legacy_totals: z.record(z.string(), z.number()).describe("Deprecated per-type totals the API still sends, USD."),
  },
  async run({ org_id }, ctx) {
    const orgId = ctx.orgId(org_id);
    const usage = await ctx.viam.unary("getCurrentMonthUsage", { orgId }, { what: `usage of org "${orgId}"`, timeoutMs: ctx.timeoutMs, signal: ctx.signal, retryable: true });
    const sources = usage.resourceUsageCostsBySource.map((source) => {
      const costs = source.resourceUsageCosts;
      return {
        source_type: sourceTypeName(source.sourceType),
        tier_name: source.tierName,
        total_without_discount: cents(costs?.totalWithoutDiscount ?? 0),
        discount: cents(costs?.discount ?? 0),
        total_with_discount: cents(costs?.totalWithDiscount ?? 0),
        costs: (costs?.usageCosts ?? []).map((c) => ({ resource_type: usageCostTypeName(c.resourceType), cost: cents(c.cost) })),
      };
    });
    const legacy_totals = Object.fromEntries(
      Object.entries(LEGACY_FIELDS).map(([field, name]) => [name, cents(usage[field as keyof typeof LEGACY_FIELDS])]),
    );
    const structured = {
      org_id: orgId,
      currency: "USD" as const,
      period_start: isoDate(usage.startDate),
      period_end: isoDate(usage.endDate),
      subtotal: cents(usage.subtotal),
      sources,
      legacy_totals,
    };

    const lines = [`Viam usage, org ${orgId}, ${structured.period_start ?? "?"} to ${structured.period_end ?? "?"}: subtotal ${usd(usage.subtotal)}`];
    for (const s of sources) {
      const nonzero = s.costs.filter((c) => c.cost !== 0).map((c) => `${c.resource_type} ${money(c.cost)}`);
      const discount = s.discount ? ` (before discount ${money(s.total_without_discount)}, discount ${money(s.discount)})` : "";
      lines.push(`- ${s.source_type}${s.tier_name ? ` [${s.tier_name}]` : ""}: ${money(s.total_with_discount)}${discount}${nonzero.length ? `: ${nonzero.join(", ")}` : ""}`);
    }
    if (sources.length === 0) lines.push("No usage by source reported.");
    const legacy = Object.entries(legacy_totals).filter(([, v]) => v !== 0);
    if (legacy.length) lines.push(`Legacy totals (USD): ${legacy.map(([k, v]) => `${k} ${money(v)}`).join(", ")}`);
    return { structured, text: lines.join("\n") };
  },
});
