// A curve of means with error bars (mean ± std over seeds) and flat reference lines, as inline SVG
// for the HTML report and as a PNG (the repo's bitmap canvas) for notes and READMEs. One layout
// serves both renderings.
import type { Rgb } from "./colours.js";
import { GLYPH_HEIGHT, textWidth } from "./font.js";
import { Canvas } from "./render.js";
import { formatTick, niceTicks } from "./svg-chart.js";

export interface CurvePoint {
  x: number;
  mean: number;
  /** Sample standard deviation over seeds (0 with one). */
  sd: number;
  /** Seeds behind the mean. */
  n: number;
}

export interface CurveSeries {
  name: string;
  points: CurvePoint[];
}

/** A flat line across the chart (e.g. a model that does not depend on the x axis). */
export interface CurveReference {
  name: string;
  mean: number;
  sd: number;
  n: number;
}

export interface CurvePlot {
  title: string;
  xLabel: string;
  yLabel: string;
  series: CurveSeries[];
  references: CurveReference[];
  /** Base-2 logarithmic x axis (e.g. labelled tiles 16, 64, 256). */
  logX?: boolean;
  /** Tick labels by x value (e.g. the largest count as "all (224)"); default: every point's x. */
  xTicks?: { x: number; label: string }[];
}

const COLOURS: Rgb[] = [
  [78, 121, 167],
  [242, 142, 43],
  [225, 87, 89],
  [118, 183, 178],
  [89, 161, 79],
  [237, 201, 72],
  [176, 122, 161],
  [255, 157, 167],
  [156, 117, 95],
];
const REF_COLOURS: Rgb[] = [
  [80, 80, 80],
  [160, 60, 140],
  [30, 140, 120],
];
const hex = (c: Rgb) => `#${c.map((v) => v.toString(16).padStart(2, "0")).join("")}`;

interface Layout {
  width: number;
  height: number;
  left: number;
  top: number;
  right: number;
  bottom: number;
  X: (x: number) => number;
  Y: (y: number) => number;
  yTicks: number[];
  xTicks: { x: number; label: string }[];
  legend: { name: string; colour: Rgb; dashed: boolean }[];
}

function layout(p: CurvePlot, width: number, height: number, charW: number): Layout {
  const ys = [
    ...p.series.flatMap((s) => s.points.flatMap((q) => [q.mean - q.sd, q.mean + q.sd])),
    ...p.references.flatMap((r) => [r.mean - r.sd, r.mean + r.sd]),
  ].filter(Number.isFinite);
  const yTicks = ys.length
    ? niceTicks(Math.max(0, Math.min(...ys)), Math.min(1, Math.max(...ys)) || 1, 5)
    : [0, 1];
  const xs = [...new Set(p.series.flatMap((s) => s.points.map((q) => q.x)))].sort((a, b) => a - b);
  const xTicks = p.xTicks ?? xs.map((x) => ({ x, label: formatTick(x) }));
  const tx = (x: number) => (p.logX ? Math.log2(Math.max(x, 1e-9)) : x);
  const xv = (xTicks.length ? xTicks.map((t) => t.x) : xs).map(tx);
  let [x0, x1] = xv.length ? [Math.min(...xv), Math.max(...xv)] : [0, 1];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  const pad = (x1 - x0) * 0.06;
  const legend = [
    ...p.series.map((s, i) => ({ name: s.name, colour: COLOURS[i % COLOURS.length], dashed: false })),
    ...p.references.map((r, i) => ({
      name: r.name,
      colour: REF_COLOURS[i % REF_COLOURS.length],
      dashed: true,
    })),
  ];
  const legendW = 44 + Math.max(0, ...legend.map((l) => l.name.length)) * charW;
  const f = { left: 64, top: 34, right: width - legendW, bottom: height - 48 };
  const [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
  return {
    width,
    height,
    ...f,
    X: (x) => f.left + ((tx(x) - (x0 - pad)) / (x1 - x0 + 2 * pad)) * (f.right - f.left),
    Y: (y) => f.bottom - ((y - y0) / (y1 - y0 || 1)) * (f.bottom - f.top),
    yTicks,
    xTicks,
    legend,
  };
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
const r2 = (v: number) => String(Math.round(v * 100) / 100);
const fmt = (v: number) => v.toFixed(3);

/** The chart as a self-contained SVG (no scripts or external references). */
export function curveSvg(p: CurvePlot, width = 720, height = 380): string {
  const L = layout(p, width, height, 6.6);
  const o: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${esc(p.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.title)}</text>`,
  ];
  for (const t of L.yTicks) {
    const y = r2(L.Y(t));
    o.push(`<line x1="${L.left}" x2="${L.right}" y1="${y}" y2="${y}" stroke="#e3e3e3"/>`);
    o.push(
      `<text x="${L.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatTick(t)}</text>`,
    );
  }
  for (const t of L.xTicks)
    o.push(`<text x="${r2(L.X(t.x))}" y="${L.bottom + 16}" text-anchor="middle">${esc(t.label)}</text>`);
  o.push(
    `<rect x="${L.left}" y="${L.top}" width="${L.right - L.left}" height="${L.bottom - L.top}" fill="none" stroke="#555"/>`,
    `<text x="${(L.left + L.right) / 2}" y="${height - 10}" text-anchor="middle">${esc(p.xLabel)}</text>`,
    `<text transform="translate(14 ${(L.top + L.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`,
  );
  p.references.forEach((r, i) => {
    const c = hex(L.legend[p.series.length + i].colour);
    const [ya, yb] = [L.Y(r.mean + r.sd), L.Y(r.mean - r.sd)];
    o.push(
      `<rect x="${L.left}" y="${r2(ya)}" width="${L.right - L.left}" height="${r2(yb - ya)}" fill="${c}" fill-opacity="0.1"/>`,
      `<line x1="${L.left}" x2="${L.right}" y1="${r2(L.Y(r.mean))}" y2="${r2(L.Y(r.mean))}" stroke="${c}" stroke-width="2" stroke-dasharray="6 4"><title>${esc(`${r.name}: ${fmt(r.mean)} ± ${fmt(r.sd)} (n=${r.n})`)}</title></line>`,
    );
  });
  p.series.forEach((s, i) => {
    const c = hex(L.legend[i].colour);
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    if (pts.length > 1)
      o.push(
        `<path d="${pts.map((q, k) => `${k ? "L" : "M"}${r2(L.X(q.x))} ${r2(L.Y(q.mean))}`).join(" ")}" fill="none" stroke="${c}" stroke-width="2"/>`,
      );
    for (const q of pts) {
      const x = r2(L.X(q.x));
      const [ya, yb] = [r2(L.Y(q.mean + q.sd)), r2(L.Y(q.mean - q.sd))];
      o.push(
        `<line x1="${x}" x2="${x}" y1="${ya}" y2="${yb}" stroke="${c}" stroke-width="1.5"/>`,
        `<line x1="${L.X(q.x) - 4}" x2="${L.X(q.x) + 4}" y1="${ya}" y2="${ya}" stroke="${c}" stroke-width="1.5"/>`,
        `<line x1="${L.X(q.x) - 4}" x2="${L.X(q.x) + 4}" y1="${yb}" y2="${yb}" stroke="${c}" stroke-width="1.5"/>`,
        `<circle cx="${x}" cy="${r2(L.Y(q.mean))}" r="3.5" fill="${c}"><title>${esc(`${s.name}, ${q.x}: ${fmt(q.mean)} ± ${fmt(q.sd)} (n=${q.n})`)}</title></circle>`,
      );
    }
  });
  L.legend.forEach((l, i) => {
    const x = L.right + 14;
    const y = L.top + 10 + i * 18;
    o.push(
      `<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${hex(l.colour)}" stroke-width="2.5"${l.dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
      `<text x="${x + 28}" y="${y}" dominant-baseline="middle">${esc(l.name)}</text>`,
    );
  });
  o.push("</svg>");
  return o.join("\n");
}

/** A line of the given thickness, optionally dashed (on/off pixels along it). */
function line(
  c: Canvas,
  xa: number,
  ya: number,
  xb: number,
  yb: number,
  colour: Rgb,
  w = 2,
  dash?: [number, number],
): void {
  const len = Math.hypot(xb - xa, yb - ya);
  const n = Math.max(1, Math.ceil(len * 2));
  for (let k = 0; k <= n; k++) {
    const d = (k / n) * len;
    if (dash && d % (dash[0] + dash[1]) >= dash[0]) continue;
    const x = xa + ((xb - xa) * k) / n;
    const y = ya + ((yb - ya) * k) / n;
    c.fillRect(Math.round(x - w / 2), Math.round(y - w / 2), w, w, colour);
  }
}

/** Blends a colour towards white (for bands under a reference line). */
const tint = (c: Rgb, a: number): Rgb => {
  const t = (v: number) => Math.round(255 - (255 - v) * a);
  return [t(c[0]), t(c[1]), t(c[2])];
};

/** The same chart on the bitmap canvas, at 2x pixels per unit for legibility. */
export function curvePng(p: CurvePlot, width = 720, height = 380): Canvas {
  const S = 2;
  const L = layout(p, width, height, 6);
  const c = new Canvas(width * S, height * S);
  const ink: Rgb = [30, 30, 30];
  const X = (x: number) => L.X(x) * S;
  const Y = (y: number) => L.Y(y) * S;
  const text = (
    x: number,
    y: number,
    t: string,
    col: Rgb = ink,
    anchor: "start" | "middle" | "end" = "start",
  ) => {
    t = t.replace(/±/g, "+-"); // the bitmap font has no ±
    const w = textWidth(t, S);
    const x0 = anchor === "start" ? x : anchor === "middle" ? x - w / 2 : x - w;
    c.text(x0, y - (GLYPH_HEIGHT * S) / 2, t, col, S);
  };
  text((width * S) / 2, 9 * S, p.title, ink, "middle");
  for (const t of L.yTicks) {
    c.fillRect(L.left * S, Math.round(Y(t)), (L.right - L.left) * S, 1, [225, 225, 225]);
    text((L.left - 6) * S, Y(t), formatTick(t), ink, "end");
  }
  for (const t of L.xTicks) text(X(t.x), (L.bottom + 14) * S, t.label, ink, "middle");
  text(((L.left + L.right) / 2) * S, (height - 12) * S, p.xLabel, ink, "middle");
  text(4 * S, (L.top - 11) * S, p.yLabel, ink, "start");
  p.references.forEach((r, i) => {
    const col = L.legend[p.series.length + i].colour;
    const [ya, yb] = [Y(r.mean + r.sd), Y(r.mean - r.sd)];
    c.fillRect(L.left * S + 1, ya, (L.right - L.left) * S - 2, Math.max(1, yb - ya), tint(col, 0.12));
    line(c, L.left * S, Y(r.mean), L.right * S, Y(r.mean), col, 3, [12, 8]);
  });
  c.strokeRect(L.left * S, L.top * S, (L.right - L.left) * S, (L.bottom - L.top) * S, [85, 85, 85], 1);
  p.series.forEach((s, i) => {
    const col = L.legend[i].colour;
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    for (let k = 1; k < pts.length; k++)
      line(c, X(pts[k - 1].x), Y(pts[k - 1].mean), X(pts[k].x), Y(pts[k].mean), col, 3);
    for (const q of pts) {
      const x = X(q.x);
      const [ya, yb] = [Y(q.mean + q.sd), Y(q.mean - q.sd)];
      line(c, x, ya, x, yb, col, 2);
      line(c, x - 8, ya, x + 8, ya, col, 2);
      line(c, x - 8, yb, x + 8, yb, col, 2);
      c.fillRect(x - 5, Y(q.mean) - 5, 10, 10, col);
    }
  });
  L.legend.forEach((l, i) => {
    const x = (L.right + 14) * S;
    const y = (L.top + 10 + i * 18) * S;
    line(c, x, y, x + 22 * S, y, l.colour, 3, l.dashed ? [12, 8] : undefined);
    text(x + 28 * S, y, l.name);
  });
  return c;
}
