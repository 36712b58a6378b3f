// Small DOM and SVG builders: the page is drawn from data, never from HTML strings, so no
// value from a tool result is ever parsed as markup.
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined>;

function fill(node: Element, attrs: Attrs, children: Child[]): void {
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : String(v));
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
}

export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const node = document.createElement(tag);
  fill(node, attrs, children);
  return node;
}

export function s(tag: string, attrs: Attrs = {}, ...children: Child[]): SVGElement {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  fill(node, attrs, children);
  return node;
}

/** A figure the browser test compares with structuredContent: `key` names the field. */
export const fig = (key: string, text: string, attrs: Attrs = {}) => h("span", { "data-figure": key, ...attrs }, text);

/** A cell spanning the rest of its row (e.g. why a row failed, in place of its figures). */
export interface Span {
  span: Child;
}

export function table(head: string[], rows: { cells: (Child | Span)[]; bad?: boolean }[], numeric: number[] = []): HTMLElement {
  const th = head.map((t, i) => h("th", { scope: "col", class: numeric.includes(i) ? "num" : undefined }, t));
  const td = (c: Child | Span, i: number) =>
    c !== null && typeof c === "object" && "span" in c ? h("td", { colspan: head.length - i }, c.span) : h("td", { class: numeric.includes(i) ? "num" : undefined, "data-label": head[i] }, c);
  const body = rows.map((r) => h("tr", { class: r.bad ? "bad" : undefined }, ...r.cells.map(td)));
  return h("div", { class: "scroll" }, h("table", {}, h("thead", {}, h("tr", {}, ...th)), h("tbody", {}, ...body)));
}

export const card = (label: string, value: Node, bad = false) => h("div", { class: bad ? "card bad" : "card" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value));
