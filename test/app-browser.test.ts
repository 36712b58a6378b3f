// The spend app in a real browser: Debian's Chromium loads the page the server serves
// (resources/read of ui://billing-mcp/spend) inside a host built on ext-apps' AppBridge
// (scripts/app-host.ts), which feeds it real results of the three tools from the embedded
// sandbox, through a real MCP client against the built server. Each view must draw its charts,
// show exactly structuredContent's figures, raise no console error and make no request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { RESOURCE_MIME_TYPE } from "@modelcontextprotocol/ext-apps/server";
import { money } from "../src/billing/render.js";
import { SPEND_APP_URI } from "../src/mcp/spend-app.js";
import { HOST_STYLES, hostApp, launchBrowser } from "../scripts/app-host.js";
import type { Browser, HostedApp, Theme } from "../scripts/app-host.js";
import { call, startServer } from "./harness.js";
import type { RunningServer } from "./harness.js";

const APPS = { extensions: { "io.modelcontextprotocol/ui": { mimeTypes: [RESOURCE_MIME_TYPE] } } };

type Structured = Record<string, unknown> & { currency: string };
type View = "overview" | "invoices" | "usage";
const TOOLS: Record<View, { name: string; args: Record<string, unknown> }> = {
  overview: { name: "billing_spend_overview", args: {} },
  invoices: { name: "viam_get_invoices_summary", args: { org_id: "org-acme" } },
  usage: { name: "viam_get_current_month_usage", args: { org_id: "org-acme" } },
};

let server: RunningServer;
let browser: Browser;
let html: string;
const results = {} as Record<View, CallToolResult>;
const open: HostedApp[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer({}, [], APPS), launchBrowser()]);
  const { contents } = await server.client.readResource({ uri: SPEND_APP_URI });
  html = (contents[0] as { text: string }).text;
  for (const [view, { name, args }] of Object.entries(TOOLS)) results[view as View] = await call(server.client, name, args);
}, 120_000);
afterAll(async () => {
  await Promise.all(open.map((h) => h.close().catch(() => undefined)));
  await browser?.close();
  await server?.close();
});

async function host(theme: Theme, width: number): Promise<HostedApp> {
  const hosted = await hostApp(browser, html, { theme, width, callTool: (p) => server.client.callTool(p) as Promise<CallToolResult> });
  open.push(hosted);
  return hosted;
}

/** The value structuredContent holds for a data-figure key (see app/views.ts). */
function valueAt(data: Structured, key: string): unknown {
  const [head, ...rest] = key.split(".");
  if (rest.length === 0) return data[head!];
  const field = rest.length > 1 ? rest.pop()! : undefined;
  const id = rest.join(".");
  if (head === "rows") return (data.rows as Record<string, unknown>[]).find((r) => r.id === id)?.[field!];
  if (head === "invoices") return (data.invoices as Record<string, unknown>[]).find((r) => r.id === id)?.[field!];
  if (head === "by_type") return (data.by_type as { resource_type: string; cost: number }[]).find((c) => c.resource_type === id)?.cost;
  if (head === "sources") return (data.sources as Record<string, unknown>[])[Number(id)]?.[field!];
  throw new Error(`unknown figure key ${key}`);
}

/** The keys every view must show: each total and each line's amount. */
function requiredFigures(view: View, d: Structured): string[] {
  if (view === "overview") {
    const rows = d.rows as { id: string; error: string | null; failed_payment_count: number | null }[];
    return [
      "month_to_date_total", "projected_month_end_total", "projected_low_total", "projected_high_total", "outstanding_total", "failed_payment_count",
      ...rows.filter((r) => !r.error).map((r) => `rows.${r.id}.month_to_date`),
      ...rows.filter((r) => r.failed_payment_count).map((r) => `rows.${r.id}.failed_payment_count`),
      ...rows.filter((r) => r.error).map((r) => `rows.${r.id}.error`),
    ];
  }
  if (view === "invoices") return ["outstanding_balance", "matching_unpaid_sum", "shown_invoices", ...(d.invoices as { id: string }[]).map((i) => `invoices.${i.id}.amount`)];
  return ["gross", "discounts", "subtotal", ...(d.by_type as { resource_type: string }[]).map((c) => `by_type.${c.resource_type}`), ...(d.sources as unknown[]).map((_, i) => `sources.${i}.net`)];
}

async function checkView(hosted: HostedApp, view: View, data: Structured): Promise<void> {
  const { app } = hosted;
  await app.waitForSelector(`[data-view=${view}]`);
  // The figures: every one shown is structuredContent's, printed as the text answer prints it.
  const shown = await app.$$eval("[data-figure]", (els) => els.map((e) => [(e as HTMLElement).dataset.figure!, e.textContent!] as const));
  const keys = new Set(shown.map(([k]) => k));
  for (const key of requiredFigures(view, data)) expect(keys, `${view} shows ${key}`).toContain(key);
  for (const [key, text] of shown) {
    const value = valueAt(data, key);
    if (typeof value === "string") expect(text, key).toBe(value);
    else if (Number.isInteger(value) && /count|shown/.test(key)) expect(text, key).toBe(String(value));
    else expect([money(value as number), `${money(value as number)} ${data.currency}`], key).toContain(text);
  }
  // The charts: drawn (bars of nonzero size, not in the background's colour), each with a text alternative.
  const charts = await app.$$eval("svg[role=img]", (svgs) =>
    svgs.map((svg) => {
      const box = svg.getBoundingClientRect();
      const bars = [...svg.querySelectorAll("rect")].filter((r) => r.getBoundingClientRect().width > 0 && r.getBoundingClientRect().height > 0);
      const background = getComputedStyle(document.body).backgroundColor;
      return { width: box.width, height: box.height, bars: bars.length, painted: bars.filter((b) => getComputedStyle(b).fill !== background && getComputedStyle(b).fill !== "none").length, desc: svg.querySelector("desc")?.textContent ?? "", labelled: svg.getAttribute("aria-labelledby") ?? "" };
    }),
  );
  expect(charts.length, `${view} charts`).toBeGreaterThan(0);
  for (const chart of charts) {
    expect(chart.width).toBeGreaterThan(200);
    expect(chart.height).toBeGreaterThan(30);
    expect(chart.painted).toBeGreaterThan(0);
    expect(chart.painted).toBe(chart.bars);
    expect(chart.labelled.split(" ")).toHaveLength(2);
  }
  const descs = charts.map((c) => c.desc).join(" ");
  const amounts =
    view === "overview"
      ? (data.rows as { error: string | null; month_to_date: number | null }[]).filter((r) => !r.error).map((r) => r.month_to_date!)
      : view === "invoices"
        ? (data.invoices as { amount: number }[]).map((i) => i.amount)
        : (data.by_type as { cost: number }[]).map((c) => c.cost);
  for (const amount of amounts) expect(descs, `${view} chart description`).toContain(money(amount));
  // A table of the same figures beside the charts.
  expect(await app.$$eval("table", (t) => t.length)).toBeGreaterThan(0);
  expect(hosted.errors).toEqual([]);
  expect(hosted.requests).toEqual([]);
}

describe("the spend app in Chromium", () => {
  for (const view of ["overview", "invoices", "usage"] as const) {
    it(`${view}: light at 720 px, the figures of structuredContent, charts with text alternatives`, async () => {
      const data = results[view].structuredContent as Structured;
      const hosted = await host("light", 720);
      await hosted.show(TOOLS[view].args, results[view]);
      await checkView(hosted, view, data);
      expect(await hosted.app.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(HOST_STYLES.light["--color-background-primary"]);
    });

    it(`${view}: dark at 360 px, readable without sideways scrolling, the host's colours; the theme follows the host`, async () => {
      const data = results[view].structuredContent as Structured;
      const hosted = await host("dark", 360);
      await hosted.show(TOOLS[view].args, results[view]);
      await checkView(hosted, view, data);
      const layout = await hosted.app.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth, theme: document.documentElement.dataset.theme, background: getComputedStyle(document.body).backgroundColor, text: getComputedStyle(document.body).color }));
      expect(layout.scroll).toBeLessThanOrEqual(layout.width);
      expect(layout).toMatchObject({ theme: "dark", background: HOST_STYLES.dark["--color-background-primary"], text: HOST_STYLES.dark["--color-text-primary"] });
      await hosted.setTheme("light");
      expect(await hosted.app.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(HOST_STYLES.light["--color-background-primary"]);
    });
  }

  it("marks failed payments and the failed row in the overview, unpaid and failed invoices in the invoices view", async () => {
    const overview = await host("light", 720);
    await overview.show({}, results.overview);
    await overview.app.waitForSelector("[data-view=overview]");
    const rows = (results.overview.structuredContent as Structured).rows as { id: string; error: string | null; failed_payment_count: number | null }[];
    const bad = await overview.app.$$eval("tr.bad [data-figure]", (els) => els.map((e) => (e as HTMLElement).dataset.figure!));
    for (const r of rows.filter((r) => r.error || r.failed_payment_count)) expect(bad.some((k) => k.startsWith(`rows.${r.id}.`)), r.id).toBe(true);
    expect(await overview.app.$eval(".card.bad [data-figure]", (e) => (e as HTMLElement).dataset.figure)).toBe("failed_payment_count");

    const invoices = await host("light", 720);
    await invoices.show(TOOLS.invoices.args, results.invoices);
    await invoices.app.waitForSelector("[data-view=invoices]");
    const data = results.invoices.structuredContent as Structured;
    const kinds = await invoices.app.$$eval("svg[role=img] rect[class]", (rects) => rects.map((r) => r.getAttribute("class")));
    const list = data.invoices as { status: string; last_payment_failure_reason: string | null }[];
    expect(kinds.filter((k) => k === "paid")).toHaveLength(list.filter((i) => i.status === "paid").length);
    expect(kinds.filter((k) => k === "failed")).toHaveLength(list.filter((i) => i.status !== "paid" && (i.last_payment_failure_reason || /fail/i.test(i.status))).length);
    expect(kinds.filter((k) => k === "failed").length).toBeGreaterThan(0);
    expect(kinds.filter((k) => k === "unpaid").length).toBeGreaterThan(0);
  });

  it("'show more invoices' calls viam_get_invoices_summary through the host and draws the longer list", async () => {
    const short = await call(server.client, "viam_get_invoices_summary", { org_id: "org-acme", limit: 4 });
    const all = (short.structuredContent as Structured).matching_invoices as number;
    expect(all).toBeGreaterThan(4);
    const hosted = await host("light", 720);
    await hosted.show({ org_id: "org-acme", limit: 4 }, short);
    await hosted.app.waitForSelector("[data-view=invoices] [data-action=more]");
    expect(await hosted.app.$$eval("[data-figure^='invoices.']", (e) => e.length)).toBe(4);
    await hosted.app.click("[data-action=more]");
    await hosted.app.waitForFunction((n) => document.querySelectorAll("[data-figure^='invoices.']").length === n, all);
    expect(hosted.calls).toEqual([{ name: "viam_get_invoices_summary", arguments: { org_id: "org-acme", limit: 24 } }]);
    expect(await hosted.app.$eval("[data-figure=shown_invoices]", (e) => e.textContent)).toBe(String(all));
    expect(await hosted.app.$$eval("[data-action=more]", (e) => e.length)).toBe(0);
    expect(hosted.errors).toEqual([]);
    expect(hosted.requests).toEqual([]);
  });

  it("a tool error, or a result of a shape it does not know, is said in words, not drawn half and not thrown", async () => {
    const failed = await call(server.client, "viam_get_invoices_summary", { org_id: "org-restricted" });
    expect(failed.isError).toBe(true);
    const hosted = await host("light", 360);
    await hosted.show({ org_id: "org-restricted" }, failed);
    await hosted.app.waitForFunction(() => /error/.test(document.querySelector("main")!.textContent ?? ""));
    await hosted.show({}, { content: [{ type: "text", text: "x" }], structuredContent: { rows: "not a list", invoices: [{ amount: "?" }] } });
    await hosted.app.waitForFunction(() => /could not be drawn/.test(document.querySelector("main")!.textContent ?? ""));
    expect(await hosted.app.$$eval("svg", (e) => e.length)).toBe(0);
    expect(hosted.errors).toEqual([]);
    expect(hosted.requests).toEqual([]);
  });
});
