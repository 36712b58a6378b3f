import { z } from "zod";
import { boundedText, idField, optionalIdField } from "../src/mcp/fields.js";
import { dateTime, usdFromCents } from "../src/billing/render.js";
import { defineTool, READ_ONLY } from "../src/mcp/tool-definition.js";

const discount = z.object({
  description: z.string(),
  type: z.string().describe("percent or amount."),
  value: z.number().describe("Percent, or cents when type is amount."),
});

const product = z.object({
  id: z.string(),
  name: z.string().nullable(),
  resource: z.string().nullable().describe("e.g. server, bandwidth, storage."),
  hostname: z.string().nullable(),
  plan: z.string().nullable(),
  quantity: z.number().nullable(),
  unit: z.string().nullable().describe("quantity, hour or minute."),
  unit_price_cents: z.number().nullable(),
  amount_without_discount_cents: z.number().nullable(),
  discounts: z.array(discount),
  price_cents: z.number(),
});

export default defineTool({
  name: "latitude_get_billing_usage",
  title: "Latitude.sh billing usage",
  description:
    "A Latitude.sh project's usage this billing period: total, credit, threshold, and each product (servers with hostname and plan, bandwidth, storage): quantity, unit price, discounts, price. Text in USD; structured in cents.",
  access: "read",
  provider: "latitude",
  annotations: READ_ONLY,
  input: {
    project: optionalIdField("Latitude.sh project id (proj_...) or slug; default LATITUDESH_PROJECT."),
    products: z
      .array(idField("A product id, e.g. si_aslft06m."))
      .max(100)
      .optional()
      .describe("Only these products (ids as this tool lists them)."),
    plan: boundedText(128).optional().describe("Only this plan, e.g. c2-small-x86."),
  },
  output: {
    project: z.object({ id: z.string(), slug: z.string().nullable(), name: z.string().nullable() }),
    period_start: z.string().describe("ISO date-time; Latitude.sh billing periods follow the project's cycle, not calendar months."),
    period_end: z.string().describe("ISO date-time."),
    currency: z.literal("USD"),
    total_cents: z.number().describe("Usage price of the period so far (of the filtered products), cents."),
    available_credit_balance_cents: z.number().nullable(),
    threshold_cents: z.number().nullable().describe("Usage at which Latitude.sh charges; null when none."),
    filters: z.object({ products: z.array(z.string()), plan: z.string().nullable() }),
    products: z.array(product),
  },
  async run({ project, products: productFilter, plan }, ctx) {
    const usage = await ctx.latitude.billingUsage({ project: ctx.latitudeProject(project), products: productFilter, plan }, { timeoutMs: ctx.timeoutMs, signal: ctx.signal });
    const products = usage.products.map((p) => ({
      id: p.id,
      name: p.name ?? null,
      resource: p.resource ?? null,
      hostname: p.metadata?.hostname ?? null,
      plan: p.metadata?.plan ?? null,
      quantity: p.quantity ?? null,
      unit: p.unit ?? null,
      unit_price_cents: p.unit_price ?? null,
      amount_without_discount_cents: p.amount_without_discount ?? null,
      discounts: (p.discounts ?? []).map((d) => ({ description: d.description ?? "", type: d.type, value: d.value })),
      price_cents: p.price,
    }));
    const structured = {
      project: { id: usage.project.id, slug: usage.project.slug ?? null, name: usage.project.name ?? null },
      period_start: dateTime(new Date(usage.period.start)),
      period_end: dateTime(new Date(usage.period.end)),
      currency: "USD" as const,
      total_cents: usage.price,
      available_credit_balance_cents: usage.available_credit_balance ?? null,
      threshold_cents: usage.threshold ?? null,
      filters: { products: [...(productFilter ?? [])], plan: plan ?? null },
      products,
    };

    const { name, id, slug } = structured.project;
    const credit = structured.available_credit_balance_cents;
    const head = [`total ${usdFromCents(usage.price)}`];
    if (credit !== null) head.push(`available credit ${usdFromCents(credit)}`);
    if (structured.threshold_cents !== null) head.push(`charge threshold ${usdFromCents(structured.threshold_cents)}`);
    const filters = [...(productFilter?.length ? [`products ${productFilter.join(", ")}`] : []), ...(plan ? [`plan ${plan}`] : [])];
    const lines = [
      `Latitude.sh usage, project ${name ?? id} (${[id, slug].filter(Boolean).join(", ")}), ${structured.period_start} to ${structured.period_end}: ${head.join("; ")}.${filters.length ? ` Filtered by ${filters.join("; ")}.` : ""}`,
    ];
    for (const p of products) {
      const where = [p.hostname, p.plan && `plan ${p.plan}`].filter(Boolean).join(", ");
      const measure = p.quantity !== null && p.unit_price_cents !== null ? `${p.quantity}${p.unit && p.unit !== "quantity" ? ` ${p.unit}` : ""} x ${usdFromCents(p.unit_price_cents, 4)} = ` : "";
      const discounts = p.discounts.map((d) => `${d.description || "discount"} -${d.type === "percent" ? `${d.value}%` : usdFromCents(d.value)}`);
      const before = discounts.length && p.amount_without_discount_cents !== null ? `before discounts ${usdFromCents(p.amount_without_discount_cents)}; ` : "";
      lines.push(
        `- ${p.id} ${p.name ?? "?"} [${p.resource ?? "?"}]${where ? ` ${where}` : ""}: ${measure}${usdFromCents(p.price_cents)}${discounts.length ? ` (${before}${discounts.join(", ")})` : ""}`,
      );
    }
    if (products.length === 0) lines.push(filters.length ? "No usage matches the filters." : "No usage this period.");
    return { structured, text: lines.join("\n") };
  },
});
