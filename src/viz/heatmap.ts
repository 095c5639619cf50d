// Confusion-matrix heatmap as a PNG: true classes as rows (index and name), predicted classes as
// columns (index), each cell coloured by its share of the row (the recall view, so rare classes
// stay as visible as common ones) and labelled with its count or its ratio; a support column on
// the right and a colour bar below.
import { blues, luminance, type Rgb } from "./colours.js";
import { GLYPH_HEIGHT, textWidth } from "./font.js";
import { Canvas, fitText } from "./render.js";

export interface HeatmapOptions {
  /** Write row-normalised ratios in the cells instead of counts (default true). */
  normalise?: boolean;
  /** Heading; defaults to "Confusion matrix (counts|row-normalised)". */
  title?: string;
  /** Pixel size of one font pixel (default 2). */
  scale?: number;
}

const INK: Rgb = [0, 0, 0];
const WHITE: Rgb = [255, 255, 255];
const EMPTY: Rgb = [232, 232, 232];
const MUTED: Rgb = [90, 90, 90];

/** A count in at most 5 characters: 9999, 12.3k, 123k, 1.23M, 12.3M. */
export function compactCount(n: number): string {
  if (n < 1e4) return String(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e5 ? 1 : 0)}k`;
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 2 : n < 1e8 ? 1 : 0)}M`;
  return `${(n / 1e9).toFixed(1)}G`;
}

export function confusionHeatmapPng(cm: number[][], names: string[], o: HeatmapOptions = {}): Buffer {
  const K = names.length;
  if (K === 0 || cm.length !== K || cm.some((r) => r.length !== K)) {
    throw new Error(`confusionHeatmapPng: matrix is not ${K} x ${K} for ${K} class names`);
  }
  if (cm.some((r) => r.some((c) => !(Number.isFinite(c) && c >= 0)))) {
    throw new Error("confusionHeatmapPng: counts must be finite and non-negative");
  }
  const { normalise = true, scale: s = 2 } = o;
  const title = o.title ?? `Confusion matrix (${normalise ? "row-normalised" : "counts"})`;
  const support = cm.map((r) => r.reduce((a, b) => a + b, 0));
  const share = cm.map((r, i) => r.map((c) => (support[i] > 0 ? c / support[i] : 0)));
  const cellText = (i: number, j: number): string => {
    if (support[i] === 0) return "-";
    if (cm[i][j] === 0) return "0";
    return normalise ? share[i][j].toFixed(2) : compactCount(cm[i][j]);
  };

  // Geometry, all from the font size so every scale stays legible.
  const pad = 4 * s;
  const line = (GLYPH_HEIGHT + 5) * s;
  const texts = cm.flatMap((r, i) => r.map((_, j) => cellText(i, j)));
  const cellW = Math.max(...texts.map((t) => textWidth(t, s)), textWidth(String(K - 1), s)) + 2 * pad;
  const cellH = Math.max(line + 2 * s, Math.round(cellW * 0.6));
  const rowLabels = names.map((n, i) => `${i} ${n}`);
  const labelW = Math.min(
    textWidth("x".repeat(28), s),
    Math.max(...rowLabels.map((l) => textWidth(l, s)), textWidth("true class", s)),
  );
  const supportLabels = support.map(compactCount);
  const supportW = Math.max(textWidth("support", s), ...supportLabels.map((l) => textWidth(l, s)));
  const gridX = pad + labelW + pad;
  const gridY = pad + 3 * line;
  const gridW = K * cellW;
  const gridH = K * cellH;
  const width = gridX + gridW + 2 * pad + supportW + pad;
  const height = gridY + gridH + pad + 2 * line + pad;
  const c = new Canvas(width, height);

  c.text(pad, pad, fitText(title, width - 2 * pad, s), INK, s);
  c.textCentred(gridX + gridW / 2, pad + line + (GLYPH_HEIGHT * s) / 2, "predicted class", MUTED, s);
  const headY = gridY - line / 2 - s;
  c.text(pad, headY - (GLYPH_HEIGHT * s) / 2, "true class", MUTED, s);
  c.text(gridX + gridW + 2 * pad, headY - (GLYPH_HEIGHT * s) / 2, "support", MUTED, s);

  for (let j = 0; j < K; j++) c.textCentred(gridX + (j + 0.5) * cellW, headY, String(j), INK, s);
  for (let i = 0; i < K; i++) {
    const y = gridY + i * cellH;
    const cy = y + cellH / 2;
    c.text(pad, cy - (GLYPH_HEIGHT * s) / 2, fitText(rowLabels[i], labelW, s), INK, s);
    c.text(gridX + gridW + 2 * pad, cy - (GLYPH_HEIGHT * s) / 2, supportLabels[i], MUTED, s);
    for (let j = 0; j < K; j++) {
      const fill = support[i] === 0 ? EMPTY : blues(share[i][j]);
      const x = gridX + j * cellW;
      c.fillRect(x + 1, y + 1, cellW - 2, cellH - 2, fill);
      if (i === j) c.strokeRect(x + 1, y + 1, cellW - 2, cellH - 2, [40, 40, 40], Math.max(1, s >> 1));
      c.textCentred(x + cellW / 2, cy, cellText(i, j), luminance(fill) < 0.5 ? WHITE : INK, s);
    }
  }

  // Colour bar: row share from 0 to 1.
  const barY = gridY + gridH + pad;
  const barH = line - 2 * s;
  for (let px = 0; px < gridW; px++) c.fillRect(gridX + px, barY, 1, barH, blues(px / (gridW - 1)));
  c.strokeRect(gridX, barY, gridW, barH, MUTED);
  const tickY = barY + barH + s;
  c.text(gridX, tickY, "0", INK, s);
  c.textCentred(gridX + gridW / 2, tickY + (GLYPH_HEIGHT * s) / 2, "share of true class", MUTED, s);
  c.text(gridX + gridW - textWidth("1", s), tickY, "1", INK, s);
  return c.toPng();
}
