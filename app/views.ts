// The three views, each drawn from one tool's structuredContent alone. Amounts are printed as
// the text answers print them (two decimals, the result's currency); dates as the result has them.
import type { z } from "zod";
import { money, signedPercent } from "../src/billing/render.js";
import type overviewTool from "../tools/billing-spend-overview.js";
import type invoicesTool from "../tools/viam-get-invoices-summary.js";
import type usageTool from "../tools/viam-get-current-month-usage.js";
import { columns, hbars } from "./charts.js";
import type { Column } from "./charts.js";
import { card, fig, h, table } from "./dom.js";

type Out<T extends { output: z.ZodRawShape }> = z.infer<z.ZodObject<T["output"]>> & { sandbox?: boolean };
export type Overview = Out<typeof overviewTool>;
export type Invoices = Out<typeof invoicesTool>;
export type Usage = Out<typeof usageTool>;
type Invoice = Invoices["invoices"][number];

const sandboxTag = (on: boolean | undefined) => (on ? h("span", { class: "sandbox", title: "Demo data from the embedded sandbox, not real billing" }, "sandbox") : null);

export function overviewView(o: Overview): HTMLElement {
  const cur = o.currency;
  const amt = (n: number) => `${money(n)} ${cur}`;
  const working = o.rows.filter((r) => r.error === null);
  const label = (r: Overview["rows"][number]) => `${r.provider === "viam" ? "Viam" : "Latitude.sh"} ${r.name ?? r.id}`;
  const chart = hbars(
    working.map((r) => ({
      label: label(r),
      value: r.month_to_date ?? 0,
      behind: r.projected_month_end,
      range: r.projected_low !== null && r.projected_high !== null ? [r.projected_low, r.projected_high] : null,
      valueText: r.projected_month_end === null ? `${money(r.month_to_date ?? 0)} to date, no projection yet` : `${money(r.month_to_date ?? 0)} → ${money(r.projected_month_end)}`,
      flag: r.failed_payment_count ? `${r.failed_payment_count} failed payment${r.failed_payment_count === 1 ? "" : "s"}` : undefined,
    })),
    "Month-to-date and projected month-end per organization and project",
    working
      .map((r) => `${label(r)}: ${amt(r.month_to_date ?? 0)} to date, ${r.projected_month_end === null ? "no projection yet" : `projected ${amt(r.projected_month_end)} (range ${money(r.projected_low ?? r.projected_month_end)}-${money(r.projected_high ?? r.projected_month_end)})`}${r.failed_payment_count ? `, ${r.failed_payment_count} failed payments` : ""}.`)
      .join(" "),
  );
  const rows = o.rows.map((r) => ({
    bad: r.error !== null || Boolean(r.failed_payment_count),
    cells: [
      h("span", {}, label(r), h("div", { class: "muted" }, r.id, r.error ? "" : `, ${r.period_start} to ${r.period_end}`)),
      ...(r.error
        ? [{ span: h("span", { class: "row-error" }, "Failed: ", fig(`rows.${r.id}.error`, r.error)) }]
        : [
            fig(`rows.${r.id}.month_to_date`, money(r.month_to_date ?? 0)),
            r.projected_month_end === null
              ? "not yet"
              : h("span", {}, fig(`rows.${r.id}.projected_month_end`, money(r.projected_month_end)), r.projected_low !== null && r.projected_high !== null ? h("div", { class: "muted" }, fig(`rows.${r.id}.projected_low`, money(r.projected_low)), "-", fig(`rows.${r.id}.projected_high`, money(r.projected_high))) : null),
            r.projected_change_percent === null ? "" : signedPercent(r.projected_change_percent),
            r.outstanding_balance === null ? "" : fig(`rows.${r.id}.outstanding_balance`, money(r.outstanding_balance)),
            r.failed_payment_count ? h("span", { class: "flag" }, fig(`rows.${r.id}.failed_payment_count`, String(r.failed_payment_count))) : "",
          ]),
    ],
  }));
  const failedList = o.rows.flatMap((r) => (r.failed_payments ?? []).map((inv) => ({ r, inv })));
  return h(
    "section",
    { "data-view": "overview" },
    h("h1", {}, "Spend overview", sandboxTag(o.sandbox)),
    h("p", { class: "muted" }, `As of ${o.as_of}, amounts in ${cur}. ${o.rows_total} rows${o.failed_rows ? `, ${o.failed_rows} failed (not in the totals)` : ""}${o.rows_omitted ? `, ${o.rows_omitted} not shown (in the totals)` : ""}.`),
    h(
      "div",
      { class: "cards" },
      card("Month to date", fig("month_to_date_total", amt(o.month_to_date_total))),
      card("Projected month-end", h("span", {}, fig("projected_month_end_total", amt(o.projected_month_end_total)), h("div", { class: "muted" }, "range ", fig("projected_low_total", money(o.projected_low_total)), "-", fig("projected_high_total", money(o.projected_high_total))))),
      card("Outstanding (Viam)", fig("outstanding_total", amt(o.outstanding_total))),
      card("Failed payments", fig("failed_payment_count", String(o.failed_payment_count)), o.failed_payment_count > 0),
    ),
    h("div", { class: "legend", "aria-hidden": "true" }, h("span", {}, h("i", { style: "background:var(--bar)" }), "month to date"), h("span", {}, h("i", { style: "background:var(--bar2)" }), "projected month-end"), h("span", {}, "├─┤ projection range")),
    chart,
    h("h2", {}, "Per organization and project"),
    table(["Org / project", "To date", "Projected (range)", "Change", "Outstanding", "Failed payments"], rows, [1, 2, 3, 4, 5]),
    failedList.length
      ? h(
          "div",
          {},
          h("h2", { class: "bad-text" }, "Failed payments"),
          table(["Org", "Invoice", "Date", "Amount", "Reason"], failedList.map(({ r, inv }) => ({ bad: true, cells: [r.name ?? r.id, inv.id, inv.invoice_date ?? "?", money(inv.amount), inv.last_payment_failure_reason ?? inv.status] })), [3]),
        )
      : null,
  );
}

const failedPayment = (inv: Invoice) => inv.status !== "paid" && (inv.last_payment_failure_reason !== null || /fail/i.test(inv.status));
const kindOf = (inv: Invoice): Column["kind"] => (inv.status === "paid" ? "paid" : failedPayment(inv) ? "failed" : "unpaid");

export function invoicesView(v: Invoices, more: (() => void) | null): HTMLElement {
  const cur = v.currency;
  const amt = (n: number) => `${money(n)} ${cur}`;
  const oldestFirst = [...v.invoices].reverse();
  const kindName = { paid: "paid", unpaid: "unpaid", failed: "payment failed" };
  const chart = columns(
    oldestFirst.map((inv) => ({ label: inv.invoice_date?.slice(0, 7) ?? "?", value: inv.amount, kind: kindOf(inv) })),
    `Invoice amounts by date, ${v.org_name ?? v.org_id}`,
    oldestFirst.map((inv) => `${inv.invoice_date ?? "undated"}: ${amt(inv.amount)}, ${kindName[kindOf(inv)]}.`).join(" "),
    money,
  );
  const rows = v.invoices.map((inv) => {
    const kind = kindOf(inv);
    return {
      bad: kind === "failed",
      cells: [
        inv.invoice_date ?? "?",
        inv.id,
        fig(`invoices.${inv.id}.amount`, money(inv.amount)),
        h("span", { class: kind === "paid" ? "ok-text" : kind === "failed" ? "bad-text" : "warn-text" }, inv.status, inv.last_payment_failure_reason ? ` (${inv.last_payment_failure_reason})` : ""),
        inv.paid_date ? `paid ${inv.paid_date}` : inv.due_date ? `due ${inv.due_date}${inv.days_overdue ? `, ${inv.days_overdue} days overdue` : ""}` : "",
      ],
    };
  });
  return h(
    "section",
    { "data-view": "invoices" },
    h("h1", {}, `Invoices, ${v.org_name ?? v.org_id}`, sandboxTag(v.sandbox)),
    h("p", { class: "muted" }, `${v.org_id}: ${v.total_invoices} invoices, `, fig("shown_invoices", String(v.shown_invoices)), ` shown of ${v.matching_invoices} matching, newest first. Amounts in ${cur}.`),
    h(
      "div",
      { class: "cards" },
      card("Outstanding balance", fig("outstanding_balance", amt(v.outstanding_balance)), v.outstanding_balance > 0),
      card("Unpaid among them", fig("matching_unpaid_sum", amt(v.matching_unpaid_sum))),
      card("Statuses", h("span", { style: "font-size:13px;font-weight:400" }, Object.entries(v.status_counts).map(([k, n]) => `${k} ${n}`).join(", "))),
    ),
    h("div", { class: "legend", "aria-hidden": "true" }, h("span", {}, h("i", { style: "background:var(--bar)" }), "paid"), h("span", {}, h("i", { style: "background:var(--warn)" }), "unpaid"), h("span", {}, h("i", { style: "background:var(--danger)" }), "payment failed")),
    chart,
    h("h2", {}, "Invoices"),
    table(["Date", "Invoice", "Amount", "Status", "Due / paid"], rows, [2]),
    more && v.shown_invoices < v.matching_invoices ? h("button", { type: "button", "data-action": "more" }, `Show more invoices (${v.matching_invoices - v.shown_invoices} older)`) : null,
  );
}

export function usageView(u: Usage): HTMLElement {
  const cur = u.currency;
  const amt = (n: number) => `${money(n)} ${cur}`;
  const typeChart = hbars(
    u.by_type.map((c) => ({ label: c.resource_type, value: c.cost, valueText: money(c.cost) })),
    "Usage cost by resource type",
    u.by_type.map((c) => `${c.resource_type}: ${amt(c.cost)}.`).join(" ") || "No usage this period.",
  );
  const sourceName = (src: Usage["sources"][number]) => `${src.source_type}${src.tier_name ? ` ${src.tier_name}` : ""}`;
  const sourceChart = hbars(
    u.sources.map((src) => ({ label: sourceName(src), value: src.net, behind: src.gross, valueText: src.discount ? `${money(src.gross)} - ${money(src.discount)} = ${money(src.net)}` : money(src.net) })),
    "Usage cost by source: gross, and net after discounts",
    u.sources.map((src) => `${sourceName(src)}: gross ${amt(src.gross)}, discount ${amt(src.discount)}, net ${amt(src.net)}.`).join(" ") || "No sources.",
  );
  return h(
    "section",
    { "data-view": "usage" },
    h("h1", {}, `Usage this month, ${u.org_name ?? u.org_id}`, sandboxTag(u.sandbox)),
    h("p", { class: "muted" }, `${u.org_id}, ${u.period_start ?? "?"} to ${u.period_end ?? "?"}, amounts in ${cur}.`),
    h("div", { class: "cards" }, card("Gross", fig("gross", amt(u.gross))), card("Discounts", fig("discounts", amt(u.discounts))), card("Net", fig("subtotal", amt(u.subtotal)))),
    h("h2", {}, "By resource type"),
    typeChart,
    h("details", {}, h("summary", {}, "As a table"), table(["Resource type", "Cost"], u.by_type.map((c) => ({ cells: [c.resource_type, fig(`by_type.${c.resource_type}`, money(c.cost))] })), [1])),
    h("h2", {}, "By source"),
    h("div", { class: "legend", "aria-hidden": "true" }, h("span", {}, h("i", { style: "background:var(--bar)" }), "net"), h("span", {}, h("i", { style: "background:var(--bar2)" }), "gross")),
    sourceChart,
    table(
      ["Source", "Gross", "Discount", "Net", "Costs"],
      u.sources.map((src, i) => ({
        cells: [sourceName(src), money(src.gross), money(src.discount), fig(`sources.${i}.net`, money(src.net)), src.costs.filter((c) => c.cost !== 0).map((c) => `${c.resource_type} ${money(c.cost)}`).join(", ")],
      })),
      [1, 2, 3],
    ),
  );
}
