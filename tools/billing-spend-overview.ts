import { getMaxListeners, setMaxListeners } from "node:events";
import { z } from "zod";
import { redact, ToolError } from "../src/errors.js";
import { idField } from "../src/fields.js";
import { cents, dateOnly, dateTime, money, signedPercent, toDate, usd } from "../src/render.js";
import { LATITUDE_SANDBOX_PROJECTS } from "../src/sandbox/latitude-data.js";
import { percentChange, PROJECTION_METHOD, projectLinear, viamPeriod } from "../src/spend.js";
import type { Period } from "../src/spend.js";
import { defineTool, READ_ONLY } from "../src/tool-definition.js";
import type { ToolContext } from "../src/tool-definition.js";
import { hasFailedPayment, invoicesNewestFirst, invoiceSchema } from "../src/viam-invoices.js";

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
  projected_month_end: z.number().nullable().describe("Linear projection to the period's end, USD (see projection_method)."),
  outstanding_balance: z.number().nullable().describe("USD; null where the provider does not report it (Latitude.sh)."),
  failed_payments: z.array(invoiceSchema).nullable().describe("Unpaid invoices whose payment failed; null where the provider does not report them (Latitude.sh)."),
  last_invoice: z
    .object({ id: z.string(), date: z.string().nullable(), amount: z.number().describe("USD.") })
    .nullable()
    .describe("Viam: the most recent monthly invoice; null when none (or Latitude.sh)."),
  projected_change_percent: z.number().nullable().describe("Viam: projected_month_end against last_invoice.amount, percent; null when there is no invoice to compare with."),
});
type Row = z.infer<typeof row>;
type Figures = Omit<Row, "provider" | "id" | "sandbox" | "error">;

const EMPTY: Figures = {
  name: null, period_start: null, period_end: null, elapsed_share: null, month_to_date: null, projected_month_end: null,
  outstanding_balance: null, failed_payments: null, last_invoice: null, projected_change_percent: null,
};

function projected(monthToDate: number, period: Period, now: Date) {
  const projection = projectLinear(monthToDate, period, now);
  return {
    period_start: dateOnly(period.start),
    period_end: dateOnly(period.end),
    elapsed_share: projection && Math.round(projection.elapsedShare * 1000) / 1000,
    month_to_date: cents(monthToDate),
    projected_month_end: projection && cents(projection.projected),
  };
}

async function viamFigures(orgId: string, ctx: ToolContext, now: Date): Promise<Figures> {
  const options = (what: string) => (ctx.rpc(`${what} of org "${orgId}"`));
  const [usage, summary] = await Promise.all([
    ctx.viam.unary("getCurrentMonthUsage", { orgId }, options("usage")),
    ctx.viam.unary("getInvoicesSummary", { orgId }, options("invoices")),
  ]);
  const spend = projected(usage.subtotal, viamPeriod(toDate(usage.startDate), toDate(usage.endDate), now), now);
  const invoices = invoicesNewestFirst(summary);
  const latest = invoices[0];
  return {
    ...EMPTY,
    ...spend,
    outstanding_balance: cents(summary.outstandingBalance),
    failed_payments: invoices.filter(hasFailedPayment),
    last_invoice: latest ? { id: latest.id, date: latest.invoice_date, amount: latest.amount } : null,
    projected_change_percent: latest && spend.projected_month_end !== null ? percentChange(latest.amount, spend.projected_month_end) : null,
  };
}

async function latitudeFigures(project: string, ctx: ToolContext, now: Date): Promise<Figures & { id: string }> {
  const usage = await ctx.latitude.billingUsage({ project }, { timeoutMs: ctx.timeoutMs, signal: ctx.signal });
  const period = { start: new Date(usage.period.start), end: new Date(usage.period.end) };
  // Latitude.sh amounts are cents; the overview adds up dollars.
  return { ...EMPTY, ...projected(usage.price / 100, period, now), id: usage.project.id, name: usage.project.name ?? null };
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
  const parts = [
    `${r.period_start} to ${r.period_end}${r.elapsed_share !== null ? ` (${Math.round(r.elapsed_share * 100)}% elapsed)` : ""}: ${money(r.month_to_date ?? 0)} to date, projected ${r.projected_month_end !== null ? money(r.projected_month_end) : "n/a"}`,
  ];
  if (r.last_invoice) {
    const change = r.projected_change_percent !== null ? `, projected change ${signedPercent(r.projected_change_percent)}` : "";
    parts.push(`last invoice ${r.last_invoice.id} (${r.last_invoice.date ?? "?"}) ${money(r.last_invoice.amount)}${change}`);
  }
  if (r.outstanding_balance !== null) parts.push(`outstanding ${money(r.outstanding_balance)}`);
  if (r.failed_payments?.length) {
    const shown = r.failed_payments.slice(0, 5).map((inv) => `${inv.id} ${money(inv.amount)} ${inv.last_payment_failure_reason ?? inv.status}`);
    const more = r.failed_payments.length > shown.length ? ` and ${r.failed_payments.length - shown.length} more` : "";
    parts.push(`FAILED PAYMENTS: ${shown.join(", ")}${more}`);
  }
  return `- ${label}, ${parts.join("; ")}`;
}

export default defineTool({
  name: "billing_spend_overview",
  title: "Spend overview, all providers",
  description:
    "'What are we spending, everywhere, this month?' in one call: per Viam org and Latitude.sh project, month-to-date spend and linear month-end projection; for Viam, outstanding balance, failed payments, last invoice and the change against it; totals in USD. A failing row says why.",
  access: "read",
  provider: "all",
  annotations: READ_ONLY,
  input: {
    org_ids: z
      .array(idField("Viam organization id."))
      .max(20)
      .optional()
      .describe("Viam organizations to include ([] for none). Default: VIAM_ORG_ID, else every org the key sees."),
    latitude_projects: z
      .array(idField("Latitude.sh project id or slug."))
      .max(20)
      .optional()
      .describe("Latitude.sh projects to include ([] for none). Default: LATITUDESH_PROJECT; in sandbox mode, the sandbox projects."),
  },
  output: {
    as_of: z.string().describe("ISO date-time the projection was made at."),
    currency: z.literal("USD"),
    projection_method: z.string(),
    sandbox_defaults: z.boolean().describe("True when no ids were given or configured and the sandbox's demo orgs and projects were used."),
    month_to_date_total: z.number().describe("Sum over the rows that worked, USD."),
    projected_month_end_total: z.number().describe("Sum of their projections, USD."),
    failed_rows: z.number().int(),
    rows: z.array(row),
  },
  async run({ org_ids, latitude_projects }, ctx) {
    const { config } = ctx;
    // Demo ids only when nothing is configured at all, so demo figures never mix with real ones.
    const sandboxMode = config.viam.kind === "sandbox" && config.latitude.kind === "sandbox";
    // Every org the key sees when none are given or configured (the sandbox's only in sandbox mode).
    const allOrgs = org_ids === undefined && !config.defaultOrgId && (config.viam.kind === "live" || sandboxMode);
    const demoOrgs = sandboxMode && allOrgs;
    const demoProjects = sandboxMode && latitude_projects === undefined && !config.defaultLatitudeProject;
    const configured = (value: string | undefined) => (value ? [value] : []);
    const orgs = [...new Set(org_ids ?? (allOrgs ? await seenOrgIds(ctx) : configured(config.defaultOrgId)))];
    const projects = [...new Set(latitude_projects ?? (demoProjects ? SANDBOX_PROJECTS : configured(config.defaultLatitudeProject)))];
    if (orgs.length + projects.length === 0) {
      throw new ToolError("Nothing to report: pass org_ids and/or latitude_projects, or set VIAM_ORG_ID and/or LATITUDESH_PROJECT.");
    }

    const now = config.clock();
    const tasks = [
      ...orgs.map((id) => ({ provider: "viam" as const, id, sandbox: config.viam.kind === "sandbox", figures: () => viamFigures(id, ctx, now) })),
      ...projects.map((id) => ({ provider: "latitude" as const, id, sandbox: config.latitude.kind === "sandbox", figures: () => latitudeFigures(id, ctx, now) })),
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
    const projected_month_end_total = cents(working.reduce((sum, r) => sum + (r.projected_month_end ?? r.month_to_date ?? 0), 0));
    const structured = {
      as_of: dateTime(now),
      currency: "USD" as const,
      projection_method: PROJECTION_METHOD,
      sandbox_defaults: demoOrgs || demoProjects,
      month_to_date_total,
      projected_month_end_total,
      failed_rows: rows.length - working.length,
      rows,
    };

    const mixed = rows.some((r) => r.sandbox) && rows.some((r) => !r.sandbox);
    const failed = structured.failed_rows ? `; ${structured.failed_rows} failed, not in the totals` : "";
    const lines = [
      `Spend overview as of ${structured.as_of}, amounts in USD. Projection: ${PROJECTION_METHOD}.`,
      ...(structured.sandbox_defaults ? [`No ids given and no credentials configured: showing the sandbox's demo ${[demoOrgs && `Viam orgs ${orgs.join(", ")}`, demoProjects && `Latitude.sh projects ${SANDBOX_PROJECTS.join(", ")}`].filter(Boolean).join(" and ")}.`] : []),
      `Grand total over ${working.length} of ${rows.length} rows${failed}: month-to-date ${usd(month_to_date_total)}, projected month-end ${usd(projected_month_end_total)}.`,
      ...rows.map((r) => describeRow(r, mixed)),
    ];
    return { structured, text: lines.join("\n"), sandbox: rows.some((r) => r.sandbox) };
  },
});
