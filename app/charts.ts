// Hand-drawn SVG charts: horizontal bars (with an optional range whisker) and monthly columns.
// Each chart is an <svg role="img"> with a <title> and a <desc> that states every figure, and
// the views put a table of the same figures beside it.
import { s } from "./dom.js";

export interface HBar {
  label: string;
  /** Drawn solid. */
  value: number;
  /** Drawn behind it, lighter (e.g. the projection behind month-to-date). */
  behind?: number | null;
  range?: [number, number] | null;
  valueText: string;
  /** A marker drawn after the label (e.g. "failed payments"). */
  flag?: string;
}

let ids = 0;
/** Charts are drawn at the page's width in CSS pixels (redrawn when it changes), so text stays 12 px. */
let W = 600;
export function setChartWidth(width: number): void {
  W = Math.max(240, Math.floor(width));
}
/** Roughly how wide a 12 px label is: room kept for the value printed after a bar. */
const textWidth = (text: string) => text.length * 7 + 8;

function frame(height: number, title: string, desc: string): { svg: SVGElement; add: (n: SVGElement) => void } {
  const id = `chart-${++ids}`;
  const svg = s("svg", { viewBox: `0 0 ${W} ${height}`, width: W, height, role: "img", "aria-labelledby": `${id}-t ${id}-d` });
  svg.append(s("title", { id: `${id}-t` }, title), s("desc", { id: `${id}-d` }, desc));
  return { svg, add: (n) => svg.append(n) };
}

/** One bar per item, its label above it, so long names fit at 360 px wide. */
export function hbars(items: HBar[], title: string, desc: string): SVGElement {
  const rowH = 40;
  const { svg, add } = frame(Math.max(rowH, items.length * rowH), title, desc);
  const max = Math.max(1e-9, ...items.map((i) => Math.max(i.value, i.behind ?? 0, i.range?.[1] ?? 0)));
  const plot = Math.max(60, W - Math.max(...items.map((i) => textWidth(i.valueText)), 40));
  const x = (v: number) => (Math.max(0, v) / max) * plot;
  items.forEach((item, n) => {
    const y = n * rowH;
    add(s("text", { x: 0, y: y + 13 }, item.label));
    if (item.flag) add(s("text", { x: W, y: y + 13, "text-anchor": "end", class: "flag-text" }, item.flag));
    if (item.behind) add(s("rect", { class: "bar2", x: 0, y: y + 19, width: x(item.behind), height: 14, rx: 2 }));
    add(s("rect", { class: "bar", x: 0, y: y + 19, width: Math.max(item.value > 0 ? 1.5 : 0, x(item.value)), height: 14, rx: 2 }));
    if (item.range) {
      const [lo, hi] = item.range;
      add(s("line", { class: "range", x1: x(lo), x2: x(hi), y1: y + 26, y2: y + 26 }));
      add(s("line", { class: "range", x1: x(lo), x2: x(lo), y1: y + 21, y2: y + 31 }));
      add(s("line", { class: "range", x1: x(hi), x2: x(hi), y1: y + 21, y2: y + 31 }));
    }
    const end = Math.max(x(item.value), x(item.behind ?? 0), x(item.range?.[1] ?? 0));
    add(s("text", { x: end + 6, y: y + 31, class: "sub" }, item.valueText));
  });
  return svg;
}

export interface Column {
  label: string;
  value: number;
  kind: "paid" | "unpaid" | "failed";
}

/** Columns oldest to newest, coloured by kind, with a labelled maximum on the axis. */
export function columns(items: Column[], title: string, desc: string, maxText: (v: number) => string): SVGElement {
  const H = 220;
  const top = 16;
  const base = H - 34;
  const left = 4;
  const { svg, add } = frame(H, title, desc);
  const max = Math.max(1e-9, ...items.map((i) => i.value));
  const slot = (W - left) / Math.max(1, items.length);
  const barW = Math.max(3, Math.min(40, slot * 0.7));
  add(s("line", { class: "axis", x1: left, x2: W, y1: base, y2: base }));
  add(s("line", { class: "axis", x1: left, x2: W, y1: top, y2: top, "stroke-dasharray": "3 3" }));
  add(s("text", { x: W, y: top - 4, "text-anchor": "end", class: "sub" }, maxText(max)));
  // Labels every few columns, so they never overlap however many months there are.
  const every = Math.max(1, Math.ceil(items.length / Math.max(2, Math.floor(W / 75))));
  items.forEach((item, n) => {
    const cx = left + slot * n + slot / 2;
    const h = (Math.max(0, item.value) / max) * (base - top);
    add(s("rect", { class: item.kind, x: cx - barW / 2, y: base - h, width: barW, height: Math.max(item.value > 0 ? 1.5 : 0, h), rx: 2 }, s("title", {}, `${item.label}: ${maxText(item.value)}`)));
    // The first and last labels are kept inside the chart's edges.
    const anchor = cx < 30 ? "start" : cx > W - 30 ? "end" : "middle";
    const tx = anchor === "start" ? cx - barW / 2 : anchor === "end" ? cx + barW / 2 : cx;
    if (n % every === 0 || n === items.length - 1) add(s("text", { x: tx, y: base + 16, "text-anchor": anchor, class: "sub" }, item.label));
  });
  return svg;
}
