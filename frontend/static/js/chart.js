// Inline SVG charts (no library): bars over time, grouped bars per category. Each chart has a text label for
// screen readers; pages show the same numbers in a table next to it.
import { h } from "./ui.js";

const NS = "http://www.w3.org/2000/svg";
export const PALETTE = ["#0a55a3", "#1a6b2a", "#a3141b", "#6e4600", "#3a3394"];

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v) {
  if (Math.abs(v) >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (Math.abs(v) >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

/**
 * Grouped bar chart. `labels`: category names; `series`: [{name, values: [number per label]}].
 * Returns a <figure> with the SVG, a legend and a caption.
 */
export function barChart(title, labels, series, opts = {}) {
  const width = 640, height = opts.height || 240, left = 52, right = 8, top = 10, bottom = 42;
  const plotW = width - left - right, plotH = height - top - bottom;
  const max = niceMax(Math.max(0, ...series.flatMap((x) => x.values)));
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": opts.describe || title,
    preserveAspectRatio: "xMidYMid meet" });
  for (let i = 0; i <= 4; i++) {
    const y = top + plotH - (plotH * i) / 4;
    svg.append(s("line", { x1: left, x2: width - right, y1: y, y2: y, class: "grid" }));
    svg.append(s("text", { x: left - 6, y: y + 4, "text-anchor": "end" }, fmt((max * i) / 4)));
  }
  const n = Math.max(labels.length, 1);
  const slot = plotW / n;
  const groupW = Math.min(slot * 0.8, 80);
  const barW = groupW / Math.max(series.length, 1);
  const every = Math.ceil(n / 10); // at most ~10 axis labels
  labels.forEach((label, i) => {
    const x0 = left + i * slot + (slot - groupW) / 2;
    series.forEach((ser, j) => {
      const v = ser.values[i] || 0;
      const bh = (plotH * v) / max;
      const rect = s("rect", { x: x0 + j * barW, y: top + plotH - bh, width: Math.max(barW - 1, 1), height: Math.max(bh, 0),
        fill: PALETTE[j % PALETTE.length] });
      rect.append(s("title", {}, `${label} · ${ser.name}: ${fmt(v)}`));
      svg.append(rect);
    });
    if (i % every === 0) {
      svg.append(s("text", { x: left + i * slot + slot / 2, y: height - bottom + 16, "text-anchor": "middle" }, String(label)));
    }
  });
  svg.append(s("line", { x1: left, x2: width - right, y1: top + plotH, y2: top + plotH, class: "axis" }));
  if (opts.unit) svg.append(s("text", { x: 4, y: top + 8 }, opts.unit));
  const legend = series.length > 1 || opts.legend
    ? h("ul", { class: "legend" }, series.map((ser, j) =>
        h("li", {}, h("span", { class: "swatch", style: null, "data-color": PALETTE[j % PALETTE.length] }), ser.name)))
    : null;
  if (legend) legend.querySelectorAll(".swatch").forEach((el) => (el.style.background = el.dataset.color));
  return h("figure", { class: "chart-figure" }, svg, legend, h("figcaption", { class: "muted" }, title));
}
