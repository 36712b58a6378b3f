// The spend app's entry: the ext-apps App receives the tool result from the host (and its theme
// and style variables) and draws the view that fits the result's shape.
import { App, applyDocumentTheme, applyHostFonts, applyHostStyleVariables } from "@modelcontextprotocol/ext-apps";
import type { McpUiHostContext } from "@modelcontextprotocol/ext-apps";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { setChartWidth } from "./charts.js";
import { h } from "./dom.js";
import { invoicesView, overviewView, usageView } from "./views.js";
import type { Invoices, Overview, Usage } from "./views.js";

const root = document.getElementById("root")!;
const app = new App({ name: "billing-mcp spend", version: "1" }, {});
/** The most the "show more" button asks for (the tool's own limit). */
const MAX_LIMIT = 500;
/** The arguments of the call being shown: "show more" keeps its status filter. */
let shownArgs: Record<string, unknown> = {};

function applyContext(ctx: McpUiHostContext | undefined): void {
  if (!ctx) return;
  if (ctx.theme) applyDocumentTheme(ctx.theme);
  if (ctx.styles?.variables) applyHostStyleVariables(ctx.styles.variables);
  if (ctx.styles?.css?.fonts) applyHostFonts(ctx.styles.css.fonts);
}

function show(node: HTMLElement): void {
  root.replaceChildren(node);
}

function message(text: string): void {
  show(h("p", { class: "muted" }, text));
}

let shownResult: CallToolResult | undefined;

function render(result: CallToolResult): void {
  shownResult = result;
  setChartWidth(root.clientWidth - 24);
  const data = result.structuredContent as Record<string, unknown> | undefined;
  if (result.isError || !data) {
    message(result.isError ? "The tool reported an error; its text answer says why." : "This result carries no structured figures to draw.");
    return;
  }
  try {
    if (Array.isArray(data.rows)) show(overviewView(data as Overview));
    else if (Array.isArray(data.invoices)) showInvoices(data as Invoices);
    else if (Array.isArray(data.by_type)) show(usageView(data as Usage));
    else message("This result is not one the spend app draws.");
  } catch (err) {
    // A result of another shape (e.g. from a newer server): say so rather than draw half of it.
    message(`This result could not be drawn (${err instanceof Error ? err.message : String(err)}); its text answer has the figures.`);
  }
}

/** Invoices, with "show more" calling the tool again through the host for a longer list. */
function showInvoices(v: Invoices): void {
  const view = invoicesView(v, () => undefined);
  const button = view.querySelector<HTMLButtonElement>("[data-action=more]");
  button?.addEventListener("click", async () => {
    button.disabled = true;
    button.textContent = "Loading…";
    try {
      const limit = Math.min(MAX_LIMIT, Math.max(v.shown_invoices * 2, 24));
      const more = await app.callServerTool({ name: "viam_get_invoices_summary", arguments: { ...(typeof shownArgs.status === "string" && { status: shownArgs.status }), org_id: v.org_id, limit } });
      render(more);
    } catch (err) {
      button.disabled = false;
      button.textContent = `Could not load more: ${err instanceof Error ? err.message : String(err)}`;
    }
  });
  show(view);
}

// Charts are drawn to the width: draw again when it changes (not for height changes).
let drawnWidth = root.clientWidth;
new ResizeObserver(() => {
  if (root.clientWidth === drawnWidth || !shownResult) return;
  drawnWidth = root.clientWidth;
  render(shownResult);
}).observe(root);

app.ontoolinput = (params) => (shownArgs = params.arguments ?? {});
app.ontoolresult = (params) => render(params);
app.ontoolcancelled = () => message("The call was cancelled.");
app.onhostcontextchanged = (ctx) => applyContext(ctx);
await app.connect();
applyContext(app.getHostContext());
