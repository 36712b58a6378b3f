import { getMaxListeners, setMaxListeners } from "node:events";
import { z } from "zod";
import { redact, ToolError } from "../src/core/errors.js";
import { idField } from "../src/mcp/fields.js";
import { cents, dateOnly, dateTime, money, signedPercent, toDate, usd } from "../src/billing/render.js";
import { LATITUDE_SANDBOX_PROJECTS } from "../src/sandbox/latitude-data.js";
import { invoicedPerPeriod, percentChange, previousPeriods, PROJECTION_METHOD, projectMonthEnd, viamPeriod } from "../src/billing/spend.js";
import type { Period } from "../src/billing/spend.js";
import { defineTool, READ_ONLY } from "../src/mcp/tool-definition.js";
import { SPEND_APP_URI } from "../src/mcp/spend-app.js";
import type { ToolContext } from "../src/mcp/tool-definition.js";
import { hasFailedPayment, invoicesNewestFirst, invoiceSchema } from "../src/viam/invoices.js";

/** Failed payments listed per row; the count says how many there are. */
const FAILED_SHOWN = 5;
/** Rows shown by default: a reseller's hundreds of orgs must not flood the model's context. */
const DEFAULT_MAX_ROWS = 12;
const SANDBOX_PROJECTS = LATITUDE_SANDBOX_PROJECTS.map((p) => p.id);

const row = z.object({
  provider: z.enum(["viam", "latitude"]),
  id: z.string().describe("Viam organization id, or Latitude.sh project id (as given when the call failed)."),
  name: z.string().nullable().describe("Organization or project name; null when unknown."),
  sandbox: z.boolean().describe("True when this row is the embedded sandbox's demo data."),
  error: z.string().nullable().describe("What went wrong for this row (its figures are then null); null when it worked."),
  period_start: z.string().nullable().describe("ISO date the current billing period started."),
  period_end: z.string().nullable().describe("ISO date it ends."),
  elapsed_share: z.number().nullable().describe("Share of the billing period elapsed, 0-1."),
  month_to_date: z.number().nullable().describe("Spend of the period so far, USD."),
  projection_basis: z.enum(["history and month-to-date", "month-to-date only", "not meaningful yet"]).nullable().describe("What the projection rests on (see projection_method); null when the row failed."),
  projected_month_end: z.number().nullable().describe("Projected total for the period, USD; null when not meaningful yet."),
  projected_low: z.number().nullable().describe("Low end of the projection's range, USD."),
  projected_high: z.number().nullable().describe("High end of the projection's range, USD."),
  history_periods: z.number().int().nullable().describe("How many earlier periods' invoices the projection used (Viam; 0 for Latitude.sh)."),
  previous_period_total: z.number().nullable().describe("Viam: everything invoiced in the previous full period, USD; null when none."),
  outstanding_balance: z.number().nullable().describe("USD; null where the provider does not report it (Latitude.sh)."),
  failed_payments: z.array(invoiceSchema).nullable().describe(`The ${FAILED_SHOWN} newest unpaid invoices whose payment failed; null where the provider does not report them (Latitude.sh).`),
  failed_payment_count: z.number().int().nullable().describe("How many unpaid invoices have a failed payment (viam_get_invoices_summary with status failed lists them all)."),
  last_invoice: z
    .object({ id: z.string(), date: z.string().nullable(), amount: z.number().describe("USD.") })
    .nullable()
    .describe("Viam: the most recent monthly invoice; null when none (or Latitude.sh)."),
  projected_change_percent: z.number().nullable().describe("projected_month_end against previous_period_total, percent; null when either is missing."),
});
type Row = z.infer<typeof row>;
type Figures = Omit<Row, "provider" | "id" | "sandbox" | "error">;

const EMPTY: Figures = {
  name: null, period_start: null, period_end: null, elapsed_share: null, month_to_date: null, projection_basis: null,
  projected_month_end: null, projected_low: null, projected_high: null, history_periods: null, previous_period_total: null,
  outstanding_balance: null, failed_payments: null, failed_payment_count: null, last_invoice: null, projected_change_percent: null,
};

const centsOrNull = (n: number | null | undefined) => (n === null || n === undefined ? null : cents(n));

/** `history`: what earlier periods cost, newest first (may be empty). */
function projected(monthToDate: number, period: Period, now: Date, history: readonly number[]) {
  const projection = projectMonthEnd(monthToDate, period, now, history);
  const previous = history[0];
  const point = centsOrNull(projection?.projected);
  return {
    period_start: dateOnly(period.start),
    period_end: dateOnly(period.end),
    elapsed_share: projection && Math.round(projection.elapsedShare * 1000) / 1000,
    month_to_date: cents(monthToDate),
    projection_basis: projection?.basis ?? "not meaningful yet",
    projected_month_end: point,
    projected_low: centsOrNull(projection?.low),
    projected_high: centsOrNull(projection?.high),
    history_periods: history.length,
    previous_period_total: previous === undefined ? null : cents(previous),
    projected_change_percent: point !== null && previous !== undefined ? percentChange(previous, point) : null,
  };
}

async function viamFigures(orgId: string, ctx: ToolContext, now: Date): Promise<Figures> {
  const options = (what: string) => (ctx.rpc(`${what} of org "${orgId}"`));
  const [usage, summary] = await Promise.all([
    ctx.viam.unary("getCurrentMonthUsage", { orgId }, options("usage")),
    ctx.viam.unary("getInvoicesSummary", { orgId }, options("invoices")),
  ]);
  const period = viamPeriod(toDate(usage.startDate), toDate(usage.endDate), now);
  const invoices = invoicesNewestFirst(summary);
  const dated = invoices.flatMap((inv) => (inv.invoice_date ? [{ date: new Date(inv.invoice_date), amount: inv.amount }] : []));
  const latest = invoices[0];
  const failed = invoices.filter(hasFailedPayment);
  return {
    ...EMPTY,
    ...projected(usage.subtotal, period, now, invoicedPerPeriod(dated, previousPeriods(period))),
    outstanding_balance: cents(summary.outstandingBalance),
    failed_payments: failed.slice(0, FAILED_SHOWN),
    failed_payment_count: failed.length,
    last_invoice: latest ? { id: latest.id, date: latest.invoice_date, amount: latest.amount } : null,
  };
}

async function latitudeFigures(project: string, ctx: ToolContext, now: Date): Promise<Figures & { id: string }> {
  const usage = await ctx.latitude.billingUsage({ project }, { timeoutMs: ctx.timeoutMs, signal: ctx.signal });
  const period = { start: new Date(usage.period.start), end: new Date(usage.period.end) };
  // Latitude.sh amounts are cents; the overview adds up dollars.
  // Latitude.sh's API reports the current period only: no history to lean on.
  return { ...EMPTY, ...projected(usage.price / 100, period, now, []), id: usage.project.id, name: usage.project.name ?? null };
}

/** "0.3%" under 1%, whole percent above, so the first hours of a period do not read as 0%. */
const elapsedPercent = (share: number) => (share < 0.01 ? `${(share * 100).toFixed(1)}%` : `${Math.round(share * 100)}%`);

/**
 * At most `max` rows, in their order: failed rows first, then rows with failed payments, then
 * the largest by projection (or month-to-date). The rest are only in the totals.
 */
function rowsToShow(rows: Row[], max: number): Row[] {
  if (rows.length <= max) return rows;
  const size = (r: Row) => r.projected_month_end ?? r.month_to_date ?? 0;
  const rank = (r: Row) => (r.error ? 0 : r.failed_payment_count ? 1 : 2);
  const chosen = new Set([...rows].sort((a, b) => rank(a) - rank(b) || size(b) - size(a)).slice(0, max));
  return rows.filter((r) => chosen.has(r));
}

/** The ids of every Latitude.sh project the token sees, or why they could not be listed. */
async function listedProjects(ctx: ToolContext): Promise<{ ids: string[] } | { ids: string[]; error: unknown }> {
  try {
    return { ids: (await ctx.latitude.projects({ timeoutMs: ctx.timeoutMs, signal: ctx.signal })).map((p) => p.id) };
  } catch (error) {
    return { ids: [], error };
  }
}

/** The ids of every org the API key sees. */
async function seenOrgIds(ctx: ToolContext): Promise<string[]> {
  try {
    return (await ctx.organizations()).map((o) => o.id);
  } catch (err) {
    throw new ToolError(`${err instanceof Error ? err.message : String(err)} Pass org_ids, or set VIAM_ORG_ID.`);
  }
}

/** One line per row; `tagSandbox` marks demo rows when real and demo rows are mixed. */
function describeRow(r: Row, tagSandbox: boolean): string {
  const label = `${r.provider === "viam" ? "Viam" : "Latitude.sh"} ${r.name ? `${r.name} (${r.id})` : r.id}${tagSandbox && r.sandbox ? " [sandbox]" : ""}`;
  if (r.error) return `- ${label}: FAILED: ${r.error}`;
  const projection =
    r.projected_month_end === null
      ? "no projection yet (no earlier periods, little of this one passed)"
      : `projected ${money(r.projected_month_end)} (range ${money(r.projected_low ?? r.projected_month_end)}-${money(r.projected_high ?? r.projected_month_end)}, ${r.projection_basis === "history and month-to-date" ? `from ${r.history_periods} earlier period${r.history_periods === 1 ? "" : "s"} and month-to-date` : "from month-to-date only"})`;
  const parts = [`${r.period_start} to ${r.period_end}${r.elapsed_share !== null ? ` (${elapsedPercent(r.elapsed_share)} elapsed)` : ""}: ${money(r.month_to_date ?? 0)} to date, ${projection}`];
  if (r.previous_period_total !== null) {
    const change = r.projected_change_percent !== null ? `, projected change ${signedPercent(r.projected_change_percent)}` : "";
    parts.push(`previous period ${money(r.previous_period_total)}${change}`);
  }
  if (r.last_invoice) parts.push(`last invoice ${r.last_invoice.id} (${r.last_invoice.date ?? "?"}) ${money(r.last_invoice.amount)}`);
  if (r.outstanding_balance !== null) parts.push(`outstanding ${money(r.outstanding_balance)}`);
  if (r.failed_payments?.length) {
    const shown = r.failed_payments.map((inv) => `${inv.id} ${money(inv.amount)} ${inv.last_payment_failure_reason ?? inv.status}`);
    const count = r.failed_payment_count ?? shown.length;
    const more = count > shown.length ? ` and ${count - shown.length} more` : "";
    parts.push(`FAILED PAYMENTS: ${shown.join(", ")}${more}`);
  }
  return `- ${label}, ${parts.join("; ")}`;
}

export default defineTool({
  name: "billing_spend_overview",
  title: "Spend overview, all providers",
  description:
    "'What are we spending, everywhere, this month?' in one call: per Viam org and Latitude.sh project, month-to-date and projected month-end with a range and the change vs the previous period; Viam balances and failed payments; USD totals; failed rows say why.",
  access: "read",
  provider: "all",
  annotations: READ_ONLY,
  app: { resourceUri: SPEND_APP_URI },
  input: {
    org_ids: z
      .array(idField("Viam organization id."))
      .max(20)
      .optional()
      .describe("Viam orgs ([] for none; default VIAM_ORG_ID, else all the key sees)."),
    latitude_projects: z
      .array(idField("Latitude.sh project id or slug."))
      .max(20)
      .optional()
      .describe("Latitude.sh projects ([] for none; default LATITUDESH_PROJECT, else all the token sees)."),
    max_rows: z
      .number()
      .int()
      .min(1)
      .max(200)
      .optional()
      .describe(`Rows shown (default ${DEFAULT_MAX_ROWS}; failures first, then the largest); totals cover all.`),
  },
  output: {
    as_of: z.string().describe("ISO date-time the projection was made at."),
    currency: z.literal("USD"),
    projection_method: z.string(),
    sandbox_defaults: z.boolean().describe("True when no ids were given or configured and the sandbox's demo orgs and projects were used."),
    month_to_date_total: z.number().describe("Sum over the rows that worked, USD."),
    projected_month_end_total: z.number().describe("Sum of their projections, USD; a row with no projection yet counts at its month-to-date."),
    projected_low_total: z.number().describe("Sum of the rows' low ends, USD (same rule)."),
    projected_high_total: z.number().describe("Sum of the rows' high ends, USD (same rule)."),
    outstanding_total: z.number().describe("Outstanding balance over every Viam row that worked, USD."),
    failed_payment_count: z.number().int().describe("Unpaid invoices with a failed payment, over every Viam row."),
    unprojected_rows: z.number().int().describe("Rows that worked but have no projection yet."),
    failed_rows: z.number().int(),
    rows_total: z.number().int().describe("Rows covered by the totals."),
    rows_omitted: z.number().int().describe("Rows left out of `rows` (see max_rows); their figures are in the totals."),
    rows: z.array(row),
  },
  async run({ org_ids, latitude_projects, max_rows = DEFAULT_MAX_ROWS }, ctx) {
    const { config } = ctx;
    // Demo ids only when nothing is configured at all, so demo figures never mix with real ones.
    const sandboxMode = config.viam.kind === "sandbox" && config.latitude.kind === "sandbox";
    // The configured default, else every org the key sees (the sandbox's only in sandbox mode).
    const allOrgs = org_ids === undefined && !config.defaultOrgId && (config.viam.kind === "live" || sandboxMode);
    const demoOrgs = sandboxMode && allOrgs;
    // Likewise every project the token sees; never demo projects beside real Viam figures.
    const allProjects = latitude_projects === undefined && !config.defaultLatitudeProject && (config.latitude.kind !== "sandbox" || sandboxMode);
    const demoProjects = sandboxMode && allProjects;
    const configured = (value: string | undefined) => (value ? [value] : []);
    const orgs = [...new Set(org_ids ?? (allOrgs ? await seenOrgIds(ctx) : configured(config.defaultOrgId)))];
    const listing = allProjects ? await listedProjects(ctx) : { ids: configured(config.defaultLatitudeProject) };
    const projects = [...new Set(latitude_projects ?? listing.ids)];
    if (orgs.length + projects.length === 0 && !("error" in listing)) {
      throw new ToolError("Nothing to report: pass org_ids and/or latitude_projects, or set VIAM_ORG_ID and/or LATITUDESH_PROJECT.");
    }

    const now = config.clock();
    const tasks = [
      ...orgs.map((id) => ({ provider: "viam" as const, id, sandbox: config.viam.kind === "sandbox", figures: () => viamFigures(id, ctx, now) })),
      ...projects.map((id) => ({ provider: "latitude" as const, id, sandbox: config.latitude.kind === "sandbox", figures: () => latitudeFigures(id, ctx, now) })),
      // A project list that could not be read is a failed row, not a silent gap.
      ...("error" in listing ? [{ provider: "latitude" as const, id: "(all projects)", sandbox: config.latitude.kind === "sandbox", figures: () => Promise.reject(listing.error) }] : []),
    ];
    // Each org's calls listen on the call's signal; the default set can hold many orgs.
    setMaxListeners(Math.max(getMaxListeners(ctx.signal), 10 + 8 * tasks.length), ctx.signal);
    const [settled, orgNames] = await Promise.all([
      Promise.allSettled(tasks.map((t) => t.figures())),
      // Names for the Viam rows, failed ones included; none (ids alone) when the listing fails.
      orgs.length ? ctx.organizations().then((list) => new Map(list.map((o) => [o.id, o.name])), () => new Map<string, string>()) : new Map<string, string>(),
    ]);
    const rows: Row[] = settled.map((outcome, i) => {
      const { provider, id, sandbox } = tasks[i]!;
      if (outcome.status === "fulfilled") return { provider, id, sandbox, error: null, ...outcome.value, ...(provider === "viam" && { name: orgNames.get(id) || null }) };
      const err: unknown = outcome.reason;
      if (!(err instanceof ToolError)) ctx.logger.log("error", `billing_spend_overview: ${provider} ${id}: ${err instanceof Error ? err.message : String(err)}`);
      const error = err instanceof ToolError ? err.message : `unexpected failure (${err instanceof Error ? err.message.split("\n")[0] : String(err)}); this is a bug in billing-mcp if it persists.`;
      return { provider, id, sandbox, ...EMPTY, name: provider === "viam" ? orgNames.get(id) || null : null, error: redact(error) };
    });

    const working = rows.filter((r) => r.error === null);
    const month_to_date_total = cents(working.reduce((sum, r) => sum + (r.month_to_date ?? 0), 0));
    const total = (pick: (r: Row) => number | null) => cents(working.reduce((sum, r) => sum + (pick(r) ?? r.month_to_date ?? 0), 0));
    const projected_month_end_total = total((r) => r.projected_month_end);
    const unprojected_rows = working.filter((r) => r.projected_month_end === null).length;
    const shown = rowsToShow(rows, max_rows);
    const structured = {
      as_of: dateTime(now),
      currency: "USD" as const,
      projection_method: PROJECTION_METHOD,
      sandbox_defaults: demoOrgs || demoProjects,
      month_to_date_total,
      projected_month_end_total,
      projected_low_total: total((r) => r.projected_low),
      projected_high_total: total((r) => r.projected_high),
      unprojected_rows,
      outstanding_total: cents(working.reduce((sum, r) => sum + (r.outstanding_balance ?? 0), 0)),
      failed_payment_count: working.reduce((sum, r) => sum + (r.failed_payment_count ?? 0), 0),
      failed_rows: rows.length - working.length,
      rows_total: rows.length,
      rows_omitted: rows.length - shown.length,
      rows: shown,
    };

    const omitted = rows.filter((r) => !shown.includes(r));
    const mixed = rows.some((r) => r.sandbox) && rows.some((r) => !r.sandbox);
    const failed = structured.failed_rows ? `; ${structured.failed_rows} failed, not in the totals` : "";
    const lines = [
      `Spend overview as of ${structured.as_of}, amounts in USD. Projection: ${PROJECTION_METHOD}.`,
      ...(structured.sandbox_defaults ? [`No ids given and no credentials configured: showing the sandbox's demo ${[demoOrgs && `Viam orgs ${orgs.join(", ")}`, demoProjects && `Latitude.sh projects ${SANDBOX_PROJECTS.join(", ")}`].filter(Boolean).join(" and ")}.`] : []),
      `Grand total over ${working.length} of ${rows.length} rows${failed}: month-to-date ${usd(month_to_date_total)}, projected month-end ${usd(projected_month_end_total)} (range ${money(structured.projected_low_total)}-${usd(structured.projected_high_total)})${unprojected_rows ? `, counting ${unprojected_rows} row${unprojected_rows === 1 ? "" : "s"} with no projection yet at month-to-date` : ""}.`,
      ...(structured.outstanding_total || structured.failed_payment_count
        ? [`Outstanding over all Viam orgs: ${usd(structured.outstanding_total)}; ${structured.failed_payment_count} unpaid invoice${structured.failed_payment_count === 1 ? "" : "s"} with a failed payment.`]
        : []),
      ...shown.map((r) => describeRow(r, mixed)),
      ...(omitted.length
        ? [
            `${omitted.length} more row${omitted.length === 1 ? "" : "s"} not shown (in the totals above): ${money(omitted.reduce((sum, r) => sum + (r.month_to_date ?? 0), 0))} to date; ${omitted.filter((r) => r.error).length} of them failed, ${omitted.filter((r) => r.failed_payment_count).length} have failed payments. To see them, pass org_ids or latitude_projects, or a larger max_rows (up to 200).`,
          ]
        : []),
    ];
    return { structured, text: lines.join("\n"), sandbox: rows.some((r) => r.sandbox) };
  },
});
