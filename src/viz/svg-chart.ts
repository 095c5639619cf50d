// Self-contained inline SVG charts for the HTML report: line charts (training curves) and grouped
// bar charts (per-class F1 by model). No scripts, fonts or external references.

export interface LineSeries {
  name: string;
  /** [x, y] points; non-finite y (and y <= 0 on a log axis) break the line. */
  points: [number, number][];
}

export interface ChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

export interface LineChartOptions extends ChartOptions {
  logY?: boolean;
}

export interface BarChartOptions extends ChartOptions {
  /** Top of the value axis at least this (e.g. 1 for scores). */
  yMax?: number;
}

/** Tableau 10: distinct series colours. */
const SERIES_COLOURS = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];
const colourOf = (i: number) => SERIES_COLOURS[i % SERIES_COLOURS.length];
const CHAR_W = 6.6; // average glyph width of 11-12 px sans-serif, for layout estimates

function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}
const r2 = (v: number) => String(Math.round(v * 100) / 100);

/** Round tick values (steps of 1, 2 or 5 x 10^k) covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) return [0, 1];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return niceTicks(lo - pad, hi + pad, count);
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const start = Math.floor(lo / step + 1e-9);
  const end = Math.ceil(hi / step - 1e-9);
  const out: number[] = [];
  for (let k = start; k <= end; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/** Tick label: plain decimals for ordinary magnitudes, exponent form for very large or small. */
export function formatTick(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return Number(v.toPrecision(3)).toExponential().replace("e+", "e");
  return String(Number(v.toPrecision(6)));
}

/** Powers of ten spanning [lo, hi] (lo > 0), with 2 and 5 in between when under two decades. */
function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const mult = b - a < 2 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = a; e <= b; e++) for (const m of mult) out.push(Number((m * 10 ** e).toPrecision(12)));
  // Trim to the last tick at or below lo and the first at or above hi.
  let first = 0;
  while (first + 1 < out.length && out[first + 1] <= lo) first++;
  let last = out.length - 1;
  while (last - 1 >= 0 && out[last - 1] >= hi) last--;
  return out.slice(first, last + 1);
}

interface Frame {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

function open(width: number, height: number, title: string | undefined): string[] {
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" role="img">`,
  ];
  if (title) {
    parts.push(`<title>${esc(title)}</title>`);
    parts.push(
      `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    );
  }
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="white" fill-opacity="0"/>`);
  return parts;
}

/** Horizontal grid lines and labels for the value axis, the axis box and the axis titles. */
function valueAxis(
  parts: string[],
  f: Frame,
  ticks: number[],
  y: (v: number) => number,
  o: ChartOptions,
): void {
  for (const t of ticks) {
    const py = r2(y(t));
    parts.push(`<line x1="${f.left}" x2="${f.right}" y1="${py}" y2="${py}" stroke="#e3e3e3"/>`);
    parts.push(
      `<text x="${f.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${formatTick(t)}</text>`,
    );
  }
  parts.push(
    `<rect x="${f.left}" y="${f.top}" width="${f.right - f.left}" height="${f.bottom - f.top}" fill="none" stroke="#555"/>`,
  );
  if (o.yLabel) {
    const cy = (f.top + f.bottom) / 2;
    parts.push(
      `<text transform="translate(14 ${cy}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
    );
  }
}

function legend(parts: string[], names: string[], x: number, y: number, marker: "line" | "box"): void {
  names.forEach((n, i) => {
    const ly = y + i * 18;
    const c = colourOf(i);
    parts.push(
      marker === "line"
        ? `<line x1="${x}" x2="${x + 18}" y1="${ly}" y2="${ly}" stroke="${c}" stroke-width="2.5"/>`
        : `<rect x="${x + 3}" y="${ly - 6}" width="12" height="12" fill="${c}"/>`,
    );
    parts.push(`<text x="${x + 24}" y="${ly}" dominant-baseline="middle">${esc(n)}</text>`);
  });
}

const legendWidth = (names: string[]) =>
  names.length ? 40 + Math.max(...names.map((n) => n.length)) * CHAR_W : 10;

/** A line chart of one or more series with axes, ticks, gridlines and a legend on the right. */
export function lineChart(series: LineSeries[], o: LineChartOptions = {}): string {
  const { width = 640, height = 360, logY = false } = o;
  const usable = (y: number) => Number.isFinite(y) && (!logY || y > 0);
  const pts = series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && usable(y)));
  const names = series.map((s) => s.name);
  const f: Frame = {
    left: 64,
    top: o.title ? 32 : 12,
    right: width - legendWidth(names),
    bottom: height - 44,
  };

  const range = (v: number[], empty: [number, number]): [number, number] =>
    v.length ? [v.reduce((a, b) => Math.min(a, b)), v.reduce((a, b) => Math.max(a, b))] : empty;
  const xTicks = niceTicks(
    ...range(
      pts.map((p) => p[0]),
      [0, 1],
    ),
  );
  const [ylo, yhi] = range(
    pts.map((p) => p[1]),
    logY ? [1, 10] : [0, 1],
  );
  const yTicks = logY ? logTicks(ylo, yhi) : niceTicks(ylo, yhi);
  const [x0, x1] = [xTicks[0], xTicks[xTicks.length - 1]];
  const ty = (v: number) => (logY ? Math.log10(v) : v);
  const [y0, y1] = [ty(yTicks[0]), ty(yTicks[yTicks.length - 1])];
  const X = (v: number) => f.left + ((v - x0) / (x1 - x0 || 1)) * (f.right - f.left);
  const Y = (v: number) => f.bottom - ((ty(v) - y0) / (y1 - y0 || 1)) * (f.bottom - f.top);

  const parts = open(width, height, o.title);
  valueAxis(parts, f, yTicks, Y, o);
  for (const t of xTicks) {
    parts.push(`<text x="${r2(X(t))}" y="${f.bottom + 16}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  if (o.xLabel)
    parts.push(
      `<text x="${(f.left + f.right) / 2}" y="${height - 8}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    );
  if (pts.length === 0) {
    parts.push(
      `<text x="${(f.left + f.right) / 2}" y="${(f.top + f.bottom) / 2}" text-anchor="middle" fill="#888">no data</text>`,
    );
  }
  series.forEach((s, i) => {
    let d = "";
    let pen = "M";
    const good = s.points.filter(([x, y]) => Number.isFinite(x) && usable(y));
    for (const [x, y] of s.points) {
      if (!(Number.isFinite(x) && usable(y))) {
        pen = "M";
        continue;
      }
      d += `${pen}${r2(X(x))} ${r2(Y(y))} `;
      pen = "L";
    }
    const c = colourOf(i);
    if (d)
      parts.push(
        `<path d="${d.trim()}" fill="none" stroke="${c}" stroke-width="2" stroke-linejoin="round"/>`,
      );
    // Markers where points are few enough to see (per-epoch curves), or a lone point would vanish.
    if (good.length <= 40) {
      for (const [x, y] of good)
        parts.push(`<circle cx="${r2(X(x))}" cy="${r2(Y(y))}" r="2.5" fill="${c}"/>`);
    }
  });
  legend(parts, names, f.right + 14, f.top + 10, "line");
  parts.push("</svg>");
  return parts.join("\n");
}

/** Grouped bars: one group per category, one bar per series, legend on the right. */
export function barChart(
  data: { categories: string[]; series: { name: string; values: number[] }[] },
  o: BarChartOptions = {},
): string {
  const { width = 720, height = 360, yMax = 0 } = o;
  const { categories, series } = data;
  for (const s of series) {
    if (s.values.length !== categories.length) {
      throw new Error(
        `barChart: series "${s.name}" has ${s.values.length} values for ${categories.length} categories`,
      );
    }
  }
  const vals = series.flatMap((s) => s.values.filter(Number.isFinite));
  const names = series.map((s) => s.name);
  const longest = Math.max(0, ...categories.map((c) => c.length));
  // Category labels are rotated 35 degrees, so they need height for their length.
  const f: Frame = {
    left: 64,
    top: o.title ? 32 : 12,
    right: width - legendWidth(names),
    bottom: height - 20 - Math.min(140, longest * CHAR_W * 0.6) - (o.xLabel ? 16 : 0),
  };
  const lo = Math.min(0, ...vals);
  const hi = Math.max(yMax, ...vals);
  const ticks = niceTicks(lo, hi > lo ? hi : lo + 1);
  const [v0, v1] = [ticks[0], ticks[ticks.length - 1]];
  const Y = (v: number) => f.bottom - ((v - v0) / (v1 - v0)) * (f.bottom - f.top);

  const parts = open(width, height, o.title);
  valueAxis(parts, f, ticks, Y, o);
  const groupW = (f.right - f.left) / Math.max(1, categories.length);
  const barW = (groupW * 0.8) / Math.max(1, series.length);
  categories.forEach((cat, k) => {
    const gx = f.left + k * groupW + groupW * 0.1;
    series.forEach((s, i) => {
      const v = s.values[k];
      if (!Number.isFinite(v)) return;
      const top = Math.min(Y(v), Y(0));
      const h = Math.abs(Y(v) - Y(0));
      parts.push(
        `<rect x="${r2(gx + i * barW)}" y="${r2(top)}" width="${r2(barW * 0.92)}" height="${r2(h)}" fill="${colourOf(i)}"><title>${esc(`${s.name} · ${cat}: ${formatTick(v)}`)}</title></rect>`,
      );
    });
    const lx = r2(f.left + (k + 0.5) * groupW);
    parts.push(
      `<text transform="translate(${lx} ${f.bottom + 12}) rotate(-35)" text-anchor="end" dominant-baseline="middle">${esc(cat)}</text>`,
    );
  });
  if (o.xLabel)
    parts.push(
      `<text x="${(f.left + f.right) / 2}" y="${height - 6}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    );
  legend(parts, names, f.right + 14, f.top + 10, "box");
  parts.push("</svg>");
  return parts.join("\n");
}
