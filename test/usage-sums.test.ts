// viam_get_current_month_usage adds up: for every sandbox org, in structuredContent and in the
// text alike, the costs by type and the sources each sum to the gross, discounts and net they
// sit under, no type is counted twice, and every figure is the sandbox's own.
import { describe, expect, it } from "vitest";
import { legacyUsage, ORG, orgSubtotal, UNKNOWN_SOURCE_TYPE, UNKNOWN_USAGE_COST_TYPE } from "../src/sandbox/data.js";
import type { SandboxOrg } from "../src/sandbox/data.js";
import { sourceTypeName, usageCostTypeName } from "../src/viam/proto.js";
import { usageFigures } from "../tools/viam-get-current-month-usage.js";
import { call, liveEnv, textOf } from "./harness.js";
import { useInProcessServer } from "./in-process.js";

const fx = useInProcessServer((sb) => liveEnv(sb, { BILLING_MCP_OUTPUT_SCHEMAS: "true" }));

const ORGS = [ORG.acme, ORG.fieldworks, ORG.orbital, ORG.fleet, ORG.empty];

interface Line { resource_type: string; cost: number }
interface Usage {
  gross: number;
  discounts: number;
  subtotal: number;
  by_type: Line[];
  sources: { source_type: string; tier_name: string; gross: number; discount: number; net: number; costs: Line[] }[];
}

/** USD in whole cents, so that sums compare exactly. */
const c = (usd: number) => Math.round(usd * 100);
const total = (xs: number[]) => xs.reduce((a, x) => a + c(x), 0);
const money = String.raw`(-?\d+\.\d\d)`;

/** The sandbox's own cost per named type across the org's sources, in cents: nonzero ones, and unrecognised ones always. */
function sandboxByType(org: SandboxOrg): Map<string, number> {
  const byType = new Map<string, number>();
  for (const cost of org.sources.flatMap((s) => s.costs)) {
    const name = usageCostTypeName(cost.resourceType);
    byType.set(name, (byType.get(name) ?? 0) + c(cost.cost));
  }
  return new Map([...byType].filter(([name, v]) => v !== 0 || name.startsWith("unrecognised_")));
}

/** "a 1.00, b 2.50" as [name, cents] pairs. */
function pairs(list: string): [string, number][] {
  if (!list || list === "none") return [];
  return list.split(", ").map((item) => {
    const m = new RegExp(String.raw`^(\S+) ${money}$`).exec(item);
    expect(m, `cost item "${item}"`).not.toBeNull();
    return [m![1]!, c(Number(m![2]))];
  });
}

/** Every figure the text states, read back from it alone. */
function parseText(text: string) {
  const head = new RegExp(String.raw`gross ${money} - discounts ${money} = net ${money}\.`).exec(text);
  expect(head, text).not.toBeNull();
  const byTypeLine = /^By type \(sums to gross\): (.*)$/m.exec(text);
  const sources = [...text.matchAll(new RegExp(String.raw`^- (.+?): (?:${money} - ${money} = )?${money}(?:; (.*))?$`, "gm"))].map((m) => {
    const net = c(Number(m[4]));
    const discount = m[3] ? c(Number(m[3])) : 0;
    return { label: m[1]!, gross: m[2] ? c(Number(m[2])) : net, discount, net, costs: pairs(m[5] ?? "") };
  });
  return {
    gross: c(Number(head![1])),
    discounts: c(Number(head![2])),
    net: c(Number(head![3])),
    byType: byTypeLine ? pairs(byTypeLine[1]!) : undefined,
    sources,
  };
}

describe("viam_get_current_month_usage: every grouping sums to the total it claims", () => {
  it.each(ORGS)("%s: structuredContent", async (orgId) => {
    const org = fx.sandbox.state.orgs.get(orgId)!;
    const result = await call(fx.server.client, "viam_get_current_month_usage", { org_id: orgId });
    expect(result.isError, textOf(result)).toBeFalsy();
    const u = result.structuredContent as unknown as Usage;

    // The totals are the sandbox's.
    const legacy = legacyUsage(org);
    expect(c(u.gross)).toBe(c(legacy.totalUsageWithoutDiscount));
    expect(c(u.discounts)).toBe(c(legacy.discountAmount));
    expect(c(u.subtotal)).toBe(c(orgSubtotal(org)));
    expect(c(u.gross) - c(u.discounts)).toBe(c(u.subtotal));

    // By type: each type once, each the sandbox's sum over all sources, together the gross.
    const names = u.by_type.map((l) => l.resource_type);
    expect(new Set(names).size).toBe(names.length);
    expect(new Map(u.by_type.map((l) => [l.resource_type, c(l.cost)]))).toEqual(sandboxByType(org));
    expect(total(u.by_type.map((l) => l.cost))).toBe(c(u.gross));

    // By source: each source's lines sum to its gross, and the sources to the org's totals.
    expect(u.sources.map((s) => [s.source_type, s.tier_name])).toEqual(org.sources.map((s) => [sourceTypeName(s.sourceType), s.tierName]));
    for (const s of u.sources) {
      expect(total(s.costs.map((l) => l.cost)), `${s.source_type} ${s.tier_name}`).toBe(c(s.gross));
      expect(c(s.gross) - c(s.discount)).toBe(c(s.net));
    }
    expect(total(u.sources.map((s) => s.gross))).toBe(c(u.gross));
    expect(total(u.sources.map((s) => s.discount))).toBe(c(u.discounts));
    expect(total(u.sources.map((s) => s.net))).toBe(c(u.subtotal));
  });

  it.each(ORGS)("%s: text", async (orgId) => {
    const org = fx.sandbox.state.orgs.get(orgId)!;
    const result = await call(fx.server.client, "viam_get_current_month_usage", { org_id: orgId });
    const text = textOf(result);
    const t = parseText(text);

    expect(t.gross).toBe(c(legacyUsage(org).totalUsageWithoutDiscount));
    expect(t.discounts).toBe(c(legacyUsage(org).discountAmount));
    expect(t.net).toBe(c(orgSubtotal(org)));
    expect(t.gross - t.discounts).toBe(t.net);

    expect(t.sources).toHaveLength(org.sources.length);
    if (org.sources.length === 0) expect(text).toMatch(/No usage reported/);
    for (const s of t.sources) {
      expect(s.costs.reduce((a, [, v]) => a + v, 0), `${s.label}: ${text}`).toBe(s.gross);
      expect(s.gross - s.discount).toBe(s.net);
    }
    expect(t.sources.reduce((a, s) => a + s.gross, 0)).toBe(t.gross);
    expect(t.sources.reduce((a, s) => a + s.discount, 0)).toBe(t.discounts);
    expect(t.sources.reduce((a, s) => a + s.net, 0)).toBe(t.net);

    // The per-type totals (stated when there is more than one source; with one, its line is
    // the breakdown): each type once, the sandbox's figure, summing to the gross.
    const byType = t.byType ?? t.sources.flatMap((s) => s.costs);
    if (org.sources.length > 1) expect(t.byType, text).toBeDefined();
    expect(new Set(byType.map(([name]) => name)).size).toBe(byType.length);
    expect(new Map(byType)).toEqual(sandboxByType(org));
    expect(byType.reduce((a, [, v]) => a + v, 0)).toBe(t.gross);
  });

  it("a cost type and a source type newer than this server are shown, labelled unrecognised with their number", async () => {
    const orbital = fx.sandbox.state.orgs.get(ORG.orbital)!;
    const result = await call(fx.server.client, "viam_get_current_month_usage", { org_id: ORG.orbital });
    const u = result.structuredContent as unknown as Usage;
    const unknownCost = orbital.sources.flatMap((s) => s.costs).filter((x) => x.resourceType === UNKNOWN_USAGE_COST_TYPE);
    expect(unknownCost.length).toBeGreaterThan(0);
    const label = `unrecognised_${UNKNOWN_USAGE_COST_TYPE}`;
    expect(u.by_type.find((l) => l.resource_type === label)?.cost).toBeCloseTo(unknownCost.reduce((a, x) => a + x.cost, 0), 2);
    expect(u.sources.map((s) => s.source_type)).toContain(`unrecognised_${UNKNOWN_SOURCE_TYPE}`);
    expect(textOf(result)).toContain(label);
    expect(textOf(result)).toContain(`unrecognised_${UNKNOWN_SOURCE_TYPE}`);
  });
});

// Responses the sandbox does not send (its figures always agree): what the answer does when
// Viam's lines or totals leave something out.
describe("usageFigures: what the lines leave out is shown, so the sums still hold", () => {
  const base = {
    cloudStorageUsageCost: 0, dataUploadUsageCost: 0, dataEgresUsageCost: 0, remoteControlUsageCost: 0, standardComputeUsageCost: 0,
    discountAmount: 0, totalUsageWithDiscount: 0, totalUsageWithoutDiscount: 0, perMachineUsageCost: 0, binaryDataCloudStorageUsageCost: 0,
    otherCloudStorageUsageCost: 0, resourceUsageCostsBySource: [], subtotal: 0,
  };
  const source = (gross: number, discount: number, costs: [number, number][]) => ({
    sourceType: 1,
    tierName: "pro",
    resourceUsageCosts: { usageCosts: costs.map(([resourceType, cost]) => ({ resourceType, cost })), discount, totalWithDiscount: gross - discount, totalWithoutDiscount: gross },
  });
  const sums = (u: ReturnType<typeof usageFigures>) => {
    expect(total(u.by_type.map((l) => l.cost))).toBe(c(u.gross));
    for (const s of u.sources) expect(total(s.costs.map((l) => l.cost))).toBe(c(s.gross));
    expect(total(u.sources.map((s) => s.gross))).toBe(c(u.gross));
    expect(total(u.sources.map((s) => s.net))).toBe(c(u.subtotal));
    expect(c(u.gross) - c(u.discounts)).toBe(c(u.subtotal));
  };

  it("a source whose lines fall short of its gross gets an unitemized line", () => {
    const u = usageFigures("o", { ...base, subtotal: 90, resourceUsageCostsBySource: [source(100, 10, [[3, 60], [4, 30.01]])] });
    expect(u.sources[0]!.costs).toContainEqual({ resource_type: "unitemized", cost: 9.99 });
    sums(u);
  });

  it("a subtotal the sources do not reach gets an unattributed source", () => {
    const u = usageFigures("o", { ...base, subtotal: 95.5, resourceUsageCostsBySource: [source(100, 10, [[3, 100]])] });
    expect(u.sources.at(-1)).toMatchObject({ source_type: "unattributed", gross: 5.5, net: 5.5 });
    expect(u.subtotal).toBe(95.5);
    sums(u);
  });

  it("without per-source costs, the deprecated flat figures without overlap, plus what they leave out", () => {
    const u = usageFigures("o", {
      ...base,
      cloudStorageUsageCost: 30, binaryDataCloudStorageUsageCost: 20, otherCloudStorageUsageCost: 10, standardComputeUsageCost: 50,
      totalUsageWithoutDiscount: 85, discountAmount: 5, totalUsageWithDiscount: 80, subtotal: 80,
    });
    expect(u.by_type).toEqual([
      { resource_type: "standard_compute", cost: 50 },
      { resource_type: "binary_data_cloud_storage", cost: 20 },
      { resource_type: "other_cloud_storage", cost: 10 },
      { resource_type: "unitemized", cost: 5 },
    ]);
    sums(u);
  });
});
