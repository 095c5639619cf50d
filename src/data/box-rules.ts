// Sparse labels from object annotations: how boxes, polygons and points become labelled pixels.
//
//   box rule (--box-rule)   pixels labelled with the box's class            (picture: --preview)
//   centre-disc (default)   a disc at the box centre, radius 12% of the box's shorter side,
//                           2 to 10 px: the cell's middle, never its rim or a neighbour
//   shrunk-box              the box's central half (half its width and height, same centre)
//   box                     every pixel of the box (cells are round: the corners are wrong)
//
// - centre-disc and shrunk-box skip boxes shorter than MIN_BOX px on a side or marked truncated
//   (cells cut by the border: their centre need not lie on the cell); such boxes still keep
//   background dots away and block other classes.
// - A pixel a box rule labels that lies inside a box of another class stays unlabelled, so
//   overlapping cells never get a label that may belong to the neighbour; a pixel two shapes of
//   different classes paint stays unlabelled too.
// - Polygons (COCO, YOLO segmentation) are exact outlines: every pixel whose centre lies inside is
//   labelled. Points get a disc of `pointRadius` px.
// - Background: dots of radius 2 (about 8 per 256 x 256 px) at seeded random places at least
//   BACKGROUND_MARGIN px outside every shape's box, when the classes have a background class.
// Everything else is 255 (unlabelled).
import { IGNORE_INDEX } from "./dataset.js";
import { rng } from "./random.js";

export const BOX_RULES = ["centre-disc", "shrunk-box", "box"] as const;
export type BoxRule = (typeof BOX_RULES)[number];
export const MIN_BOX = 16;
export const BACKGROUND_MARGIN = 4;
/** Background dots per 65,536 px (a 256 x 256 image). */
export const BACKGROUND_DOTS = 8;

/** A shape in pixel coordinates with its class index (-1: no label, but keeps dots away). */
export type PixelShape =
  | { kind: "box"; label: number; x0: number; y0: number; x1: number; y1: number; truncated?: boolean }
  | { kind: "polygon"; label: number; points: number[] }
  | { kind: "point"; label: number; x: number; y: number };

export interface LabelRules {
  rule: BoxRule;
  /** Class index of background dots; none when undefined. */
  background?: number;
  /** Radius of a point's disc, px. */
  pointRadius?: number;
  /** Background dots for the whole image (default: BACKGROUND_DOTS per 256 x 256 px). */
  backgroundDots?: number;
}

const CONFLICT = 254; // painted by two classes: unlabelled at the end (254 is never a class here)

function extent(s: PixelShape): [number, number, number, number] {
  if (s.kind === "box") return [s.x0, s.y0, s.x1, s.y1];
  if (s.kind === "point") return [s.x, s.y, s.x, s.y];
  const xs = s.points.filter((_, i) => i % 2 === 0);
  const ys = s.points.filter((_, i) => i % 2 === 1);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/** The sparse label mask (H, W) of one image from its shapes (the rules at the top of this file). */
export function shapeLabels(
  shapes: PixelShape[],
  height: number,
  width: number,
  seed: number,
  rules: LabelRules,
): Uint8Array {
  const mask = new Uint8Array(height * width).fill(IGNORE_INDEX);
  const boxes = shapes.filter((s) => s.kind === "box");
  const inBox = (b: { x0: number; y0: number; x1: number; y1: number }, x: number, y: number, margin = 0) =>
    x + 0.5 >= b.x0 - margin &&
    x + 0.5 < b.x1 + margin &&
    y + 0.5 >= b.y0 - margin &&
    y + 0.5 < b.y1 + margin;
  const paint = (x: number, y: number, label: number) => {
    const i = y * width + x;
    const v = mask[i];
    mask[i] = v === IGNORE_INDEX || v === label ? label : CONFLICT;
  };
  const disc = (cx: number, cy: number, r: number, fn: (x: number, y: number) => void) => {
    for (let y = Math.max(0, Math.ceil(cy - r - 1)); y <= Math.min(height - 1, cy + r); y++)
      for (let x = Math.max(0, Math.ceil(cx - r - 1)); x <= Math.min(width - 1, cx + r); x++)
        if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r) fn(x, y);
  };
  const rect = (x0: number, y0: number, x1: number, y1: number, fn: (x: number, y: number) => void) => {
    for (let y = Math.max(0, Math.ceil(y0 - 0.5)); y < Math.min(height, Math.ceil(y1 - 0.5)); y++)
      for (let x = Math.max(0, Math.ceil(x0 - 0.5)); x < Math.min(width, Math.ceil(x1 - 0.5)); x++) fn(x, y);
  };
  for (const s of shapes) {
    if (s.label < 0) continue;
    if (s.kind === "point") {
      disc(s.x, s.y, rules.pointRadius ?? 3, (x, y) => paint(x, y, s.label));
      continue;
    }
    if (s.kind === "polygon") {
      fillPolygon(s.points, height, width, (x, y) => paint(x, y, s.label));
      continue;
    }
    const side = Math.min(s.x1 - s.x0, s.y1 - s.y0);
    const own = (x: number, y: number) => {
      if (!boxes.some((o) => o.label !== s.label && inBox(o, x, y))) paint(x, y, s.label);
    };
    if (rules.rule === "box") {
      rect(s.x0, s.y0, s.x1, s.y1, own);
      continue;
    }
    if (side < MIN_BOX || s.truncated) continue;
    const cx = (s.x0 + s.x1) / 2;
    const cy = (s.y0 + s.y1) / 2;
    if (rules.rule === "centre-disc") {
      disc(cx, cy, Math.min(10, Math.max(2, Math.round(0.12 * side))), own);
    } else {
      const hw = (s.x1 - s.x0) / 4;
      const hh = (s.y1 - s.y0) / 4;
      rect(cx - hw, cy - hh, cx + hw, cy + hh, own);
    }
  }
  for (let i = 0; i < mask.length; i++) if (mask[i] === CONFLICT) mask[i] = IGNORE_INDEX;
  if (rules.background === undefined) return mask;
  const keepOut = shapes.map((s) => {
    const [x0, y0, x1, y1] = extent(s);
    const pad = s.kind === "point" ? 4 * (rules.pointRadius ?? 3) : 0;
    return { x0: x0 - pad, y0: y0 - pad, x1: x1 + pad, y1: y1 + pad };
  });
  const dots = rules.backgroundDots ?? Math.max(1, Math.round((BACKGROUND_DOTS * height * width) / 65536));
  const rand = rng(seed);
  for (let placed = 0, tries = 0; placed < dots && tries < 1000; tries++) {
    const cx = 3 + rand() * (width - 6);
    const cy = 3 + rand() * (height - 6);
    // The whole dot, not only its centre, keeps the margin from every shape.
    if (keepOut.some((b) => inBox(b, cx, cy, BACKGROUND_MARGIN + 2))) continue;
    disc(cx, cy, 2, (x, y) => {
      mask[y * width + x] = rules.background!;
    });
    placed++;
  }
  return mask;
}

/** Calls fn for every pixel whose centre lies inside the polygon (even-odd rule). */
export function fillPolygon(
  points: number[],
  height: number,
  width: number,
  fn: (x: number, y: number) => void,
): void {
  const n = points.length / 2;
  for (let y = 0; y < height; y++) {
    const py = y + 0.5;
    const xs: number[] = [];
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const [xi, yi, xj, yj] = [points[2 * i], points[2 * i + 1], points[2 * j], points[2 * j + 1]];
      if (yi > py !== yj > py) xs.push(xi + ((py - yi) / (yj - yi)) * (xj - xi));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const from = Math.max(0, Math.ceil(xs[k] - 0.5));
      const to = Math.min(width - 1, Math.ceil(xs[k + 1] - 0.5) - 1);
      for (let x = from; x <= to; x++) fn(x, y);
    }
  }
}
