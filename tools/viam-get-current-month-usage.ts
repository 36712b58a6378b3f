import { z } from "zod";
import { orgIdField } from "../src/mcp/fields.js";
import { orgLabel } from "../src/viam/org-directory.js";
import { isoDate, money } from "../src/billing/render.js";
import { defineTool, READ_ONLY } from "../src/mcp/tool-definition.js";
import { SPEND_APP_URI } from "../src/mcp/spend-app.js";
import type { ResponseOf } from "../src/viam/connection.js";
import { sourceTypeName, usageCostTypeName } from "../src/viam/proto.js";

/** What a source's cost lines lack of its gross, or the sources of Viam's subtotal. */
const UNITEMIZED = "unitemized";
const UNATTRIBUTED = "unattributed";

/**
 * The deprecated flat figures that do not overlap (cloud_storage is binary + other storage),
 * for a response without per-source costs (an older deployment); the rest is unitemized.
 */
const FLAT_FIELDS = {
  standardComputeUsageCost: "standard_compute",
  perMachineUsageCost: "per_machine",
  remoteControlUsageCost: "remote_control",
  binaryDataCloudStorageUsageCost: "binary_data_cloud_storage",
  otherCloudStorageUsageCost: "other_cloud_storage",
  dataUploadUsageCost: "data_upload",
  dataEgresUsageCost: "data_egress",
} as const;

const costLine = z.object({
  resource_type: z.string().describe(`Usage cost type, e.g. remote_control; unrecognised_N for a type newer than this server; ${UNITEMIZED} for what the lines leave out.`),
  cost: z.number().describe("USD."),
});

const output = {
  org_id: z.string(),
  org_name: z.string().nullable().describe("The organization's name; null when unknown."),
  currency: z.literal("USD"),
  period_start: z.string().nullable().describe("ISO date."),
  period_end: z.string().nullable().describe("ISO date."),
  gross: z.number().describe("Month-to-date usage before discounts, USD."),
  discounts: z.number().describe("USD."),
  subtotal: z.number().describe("Net month-to-date usage, USD: gross - discounts."),
  by_type: z.array(costLine).describe("Nonzero cost per type across sources, largest first; sums to gross."),
  sources: z
    .array(
      z.object({
        source_type: z.string().describe(`org, fragment, unrecognised_N, or ${UNATTRIBUTED} (Viam's subtotal minus the sources').`),
        tier_name: z.string(),
        gross: z.number(),
        discount: z.number(),
        net: z.number(),
        costs: z.array(costLine).describe("Sum to gross."),
      }),
    )
    .describe("Sum to gross, discounts and subtotal."),
};

type UsageOutput = z.infer<z.ZodObject<typeof output>>;

// Sums are made in whole cents, so that every grouping adds up exactly as printed.
const toCents = (usd: number) => Math.round(usd * 100);
const sumCents = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

interface CentsSource { source_type: string; tier_name: string; gross: number; discount: number; costs: { resource_type: string; cost: number }[] }

/** A source whose cost lines add up to its gross: the difference, if any, is an unitemized line. */
function itemized(source: CentsSource): CentsSource {
  const rest = source.gross - sumCents(source.costs.map((c) => c.cost));
  return rest === 0 ? source : { ...source, costs: [...source.costs, { resource_type: UNITEMIZED, cost: rest }] };
}

/** The answer's figures from a GetCurrentMonthUsage response; every grouping sums to the totals it sits under. */
export function usageFigures(orgId: string, usage: ResponseOf<"getCurrentMonthUsage">): Omit<UsageOutput, "org_name"> {
  let sources: CentsSource[] = usage.resourceUsageCostsBySource.map((s) => {
    const costs = s.resourceUsageCosts;
    return itemized({
      source_type: sourceTypeName(s.sourceType),
      tier_name: s.tierName,
      gross: toCents(costs?.totalWithoutDiscount ?? 0),
      discount: toCents(costs?.discount ?? 0),
      costs: (costs?.usageCosts ?? []).map((c) => ({ resource_type: usageCostTypeName(c.resourceType), cost: toCents(c.cost) })),
    });
  });
  if (sources.length === 0 && (usage.totalUsageWithoutDiscount || usage.subtotal)) {
    // No per-source costs: the deprecated flat figures, without overlap, are all there is.
    sources = [
      itemized({
        source_type: UNATTRIBUTED,
        tier_name: "",
        gross: toCents(usage.totalUsageWithoutDiscount),
        discount: toCents(usage.discountAmount),
        costs: Object.entries(FLAT_FIELDS).map(([field, name]) => ({ resource_type: name, cost: toCents(usage[field as keyof typeof FLAT_FIELDS]) })),
      }),
    ];
  }
  const net = (s: CentsSource) => s.gross - s.discount;
  const sourcesNet = sumCents(sources.map(net));
  // Viam's subtotal is what it bills; an older server may leave it unset.
  const subtotal = usage.subtotal || usage.totalUsageWithDiscount ? toCents(usage.subtotal || usage.totalUsageWithDiscount) : sourcesNet;
  if (subtotal !== sourcesNet) {
    const rest = subtotal - sourcesNet;
    sources.push({ source_type: UNATTRIBUTED, tier_name: "", gross: rest, discount: 0, costs: [{ resource_type: UNITEMIZED, cost: rest }] });
  }

  const byType = new Map<string, number>();
  for (const c of sources.flatMap((s) => s.costs)) byType.set(c.resource_type, (byType.get(c.resource_type) ?? 0) + c.cost);
  const usd = (c: number) => c / 100;
  const line = ([resource_type, cost]: [string, number]) => ({ resource_type, cost: usd(cost) });
  return {
    org_id: orgId,
    currency: "USD",
    period_start: isoDate(usage.startDate),
    period_end: isoDate(usage.endDate),
    gross: usd(sumCents(sources.map((s) => s.gross))),
    discounts: usd(sumCents(sources.map((s) => s.discount))),
    subtotal: usd(subtotal),
    by_type: [...byType].filter(([type, c]) => c !== 0 || unrecognised(type)).sort((a, b) => b[1] - a[1]).map(line),
    sources: sources.map((s) => ({
      source_type: s.source_type,
      tier_name: s.tier_name,
      gross: usd(s.gross),
      discount: usd(s.discount),
      net: usd(net(s)),
      costs: s.costs.map((c) => line([c.resource_type, c.cost])),
    })),
  };
}

export default defineTool({
  name: "viam_get_current_month_usage",
  title: "Viam usage this month",
  description:
    "Month-to-date Viam usage cost of an organization: gross, discounts, net (USD); by resource type, and by source (the org, each fragment with its tier).",
  access: "read",
  provider: "viam",
  annotations: READ_ONLY,
  app: { resourceUri: SPEND_APP_URI },
  input: { org_id: orgIdField },
  output,
  async run({ org_id }, ctx) {
    const orgId = await ctx.orgId(org_id);
    const [usage, orgName] = await Promise.all([
      ctx.viam.unary("getCurrentMonthUsage", { orgId }, ctx.rpc(`usage of org "${orgId}"`)),
      ctx.orgName(orgId),
    ]);
    const structured = { ...usageFigures(orgId, usage), org_name: orgName };
    return { structured, text: usageText(structured) };
  },
});

// A cost type this server does not know is always shown, even at 0.00: the model should know it exists.
const unrecognised = (type: string) => type.startsWith("unrecognised_");
const costs = (lines: { resource_type: string; cost: number }[]) =>
  lines.filter((c) => c.cost !== 0 || unrecognised(c.resource_type)).map((c) => `${c.resource_type} ${money(c.cost)}`).join(", ");
const discounted = (gross: number, discount: number, net: number) => (discount ? `${money(gross)} - ${money(discount)} = ${money(net)}` : money(net));

/**
 * Compact text for a model: the org, period and gross - discounts = net; the nonzero costs by
 * type (when there is more than one source; with one, its line is the same); then one line per
 * source with its nonzero costs. Each list sums to the figure it follows.
 */
export function usageText(u: UsageOutput): string {
  const lines = [
    `Viam usage, org ${orgLabel(u.org_id, u.org_name)}, ${u.period_start ?? "?"} to ${u.period_end ?? "?"}, USD: gross ${money(u.gross)} - discounts ${money(u.discounts)} = net ${money(u.subtotal)}.`,
  ];
  if (u.sources.length === 0) {
    lines.push("No usage reported this period.");
    return lines.join("\n");
  }
  if (u.sources.length > 1) lines.push(`By type (sums to gross): ${costs(u.by_type) || "none"}`);
  lines.push("By source (gross - discount = net):");
  for (const s of u.sources) {
    const items = costs(s.costs);
    lines.push(`- ${s.source_type}${s.tier_name ? ` ${s.tier_name}` : ""}: ${discounted(s.gross, s.discount, s.net)}${items ? `; ${items}` : ""}`);
  }
  return lines.join("\n");
}
