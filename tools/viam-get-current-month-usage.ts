import { z } from "zod";
import { orgIdField } from "../src/fields.js";
import { orgLabel } from "../src/org-directory.js";
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

const output = {
  org_id: z.string(),
  org_name: z.string().nullable().describe("The organization's name; null when unknown."),
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
};

export default defineTool({
  name: "viam_get_current_month_usage",
  title: "Viam usage this month",
  description:
    "Month-to-date Viam usage cost of an organization: period, subtotal (USD), costs by source (the org, each fragment with its tier) and resource type, discounts.",
  access: "read",
  provider: "viam",
  annotations: READ_ONLY,
  input: { org_id: orgIdField },
  output,
  async run({ org_id }, ctx) {
    const orgId = await ctx.orgId(org_id);
    const [usage, orgName] = await Promise.all([
      ctx.viam.unary("getCurrentMonthUsage", { orgId }, ctx.rpc(`usage of org "${orgId}"`)),
      ctx.orgName(orgId),
    ]);
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
      org_name: orgName,
      currency: "USD" as const,
      period_start: isoDate(usage.startDate),
      period_end: isoDate(usage.endDate),
      subtotal: cents(usage.subtotal),
      sources,
      legacy_totals,
    };

    return { structured, text: usageText(structured) };
  },
});

type Usage = Pick<UsageOutput, "org_id" | "org_name" | "period_start" | "period_end" | "subtotal" | "sources" | "legacy_totals">;
type UsageOutput = { [K in keyof typeof output]: z.infer<(typeof output)[K]> };

/** USD for the text, always to the cent ("120.00", "18.40"); the head line names the currency. */
const amount = money;

/**
 * Compact text for a model (amounts in USD, as the description and the server's instructions
 * say): the org, period, subtotal and (before - discounts); then one line per source: type,
 * tier, total, (before - discount), nonzero costs as type:amount. Every nonzero figure of the answer is in it; a legacy total appears only where
 * it says something the lines do not (a type's total across sources; totals that disagree).
 */
export function usageText(u: Usage): string {
  const discount = u.legacy_totals.discount ?? 0;
  const before = u.legacy_totals.total_without_discount ?? 0;
  const shown = new Set<string>([`total_with_discount:${amount(u.subtotal)}`, `total_without_discount:${amount(discount ? 0 : u.subtotal)}`]);
  let head = `Viam usage, org ${orgLabel(u.org_id, u.org_name)}, ${u.period_start ?? "?"} to ${u.period_end ?? "?"}, amounts in USD: subtotal ${usd(u.subtotal)}`;
  if (discount) {
    head += ` (${amount(before)} - ${amount(discount)} discounts)`;
    shown.add(`discount:${amount(discount)}`).add(`total_without_discount:${amount(before)}`);
  }
  const lines = [head];
  for (const s of u.sources) {
    const costs = s.costs.filter((c) => c.cost !== 0).map((c) => `${c.resource_type}:${amount(c.cost)}`);
    costs.forEach((c) => shown.add(c));
    const discounted = s.discount ? ` (${amount(s.total_without_discount)}-${amount(s.discount)})` : "";
    lines.push(`${s.source_type}${s.tier_name ? ` ${s.tier_name}` : ""} ${amount(s.total_with_discount)}${discounted}${costs.length ? ` ${costs.join(" ")}` : ""}`);
  }
  if (u.sources.length === 0) lines.push("No usage by source reported.");
  const legacy = Object.entries(u.legacy_totals)
    .map(([k, v]) => `${k}:${amount(v)}`)
    .filter((item) => !item.endsWith(":0.00") && !shown.has(item));
  if (legacy.length) lines.push(`per-type totals ${legacy.join(" ")}`);
  return lines.join("\n");
}
