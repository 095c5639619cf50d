// Sparse labels the way an annotator makes them: a few short brush strokes and dots inside objects,
// each taking the class of the object under it, plus strokes over the background. A stack's label
// budget (about 2.3% of its pixels) is shared among the classes present with weights tuned so that,
// over many stacks, labelled-pixel frequencies come near the seed paper's Table 1.

import { C, NUM_CLASSES, UNLABELLED } from "./classes.js";
import type { Rng } from "./rng.js";

/** Labelled pixels per class in the seed paper's Table 1 (224,711 pixels over 2,382 tiles). */
export const PAPER_TABLE1: number[] = [80166, 7442, 1472, 14506, 2422, 749, 737, 4021, 1069, 62161, 49966];

/** Share weights per class, tuned by simulation so that the expected label shares match Table 1
 * given how often each class is present in a stack (rare objects get large weights). */
export const LABEL_WEIGHTS: number[] = [1, 0.61, 0.038, 0.45, 0.064, 0.023, 0.086, 0.69, 0.12, 3.9, 9.2];

/** How an annotator marks each class: brush radius choices, stroke lengths and how often a dot instead. */
interface Style {
  brush: number[];
  stroke: [number, number];
  dot: number;
  /** Largest share of the class's pixels an annotator would cover. */
  cap: number;
}
const STYLE: Style[] = [];
STYLE[C.background] = { brush: [1, 1, 0], stroke: [10, 40], dot: 0.1, cap: 0.05 };
STYLE[C.wbc] = { brush: [1, 0], stroke: [6, 20], dot: 0.2, cap: 0.4 };
STYLE[C.platelet] = { brush: [1, 0], stroke: [2, 5], dot: 0.7, cap: 0.6 };
STYLE[C.rbcOuter] = { brush: [0, 0, 1], stroke: [4, 14], dot: 0.3, cap: 0.2 };
STYLE[C.rbcInner] = { brush: [1, 0], stroke: [2, 4], dot: 0.8, cap: 0.4 };
STYLE[C.bead] = { brush: [1, 2], stroke: [2, 6], dot: 0.6, cap: 0.5 };
STYLE[C.monsterBead] = { brush: [1, 0], stroke: [5, 15], dot: 0.3, cap: 0.4 };
STYLE[C.sensorScratch] = { brush: [0], stroke: [10, 40], dot: 0, cap: 0.5 };
STYLE[C.topScratch] = { brush: [0, 1], stroke: [10, 40], dot: 0, cap: 0.5 };
STYLE[C.debris] = { brush: [1, 1, 0], stroke: [8, 30], dot: 0.15, cap: 0.5 };
STYLE[C.bubble] = { brush: [1, 2], stroke: [15, 50], dot: 0.05, cap: 0.4 };

/** Brush footprints: a pixel, a plus, a 5 x 5 disc. */
const BRUSHES: [number, number][][] = [0, 1, 2].map((r) => {
  const pts: [number, number][] = [];
  for (let dy = -r; dy <= r; dy++)
    for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= r * r + (r > 1 ? 1 : 0)) pts.push([dx, dy]);
  return pts;
});

/** Makes sparse labels (255 = unlabelled) from a full mask. Only pixels whose full-mask class is the
 * stroke's class are labelled, so the labels agree with the mask wherever they exist. */
export function annotate(
  mask: Uint8Array,
  S: number,
  rng: Rng,
  fraction: number,
  weights: number[] = LABEL_WEIGHTS,
): Uint8Array {
  const N = S * S;
  const labels = new Uint8Array(N).fill(UNLABELLED);
  // Annotators keep off object boundaries where they can: prefer pixels whose 4 neighbours agree.
  const interior = new Uint8Array(N);
  const counts = new Array<number>(NUM_CLASSES).fill(0);
  const interiorCounts = new Array<number>(NUM_CLASSES).fill(0);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      const p = y * S + x;
      const m = mask[p];
      if (m >= NUM_CLASSES) throw new Error(`synth/annotate: mask value ${m} is not a class`);
      counts[m]++;
      if (
        x > 0 &&
        y > 0 &&
        x < S - 1 &&
        y < S - 1 &&
        mask[p - 1] === m &&
        mask[p + 1] === m &&
        mask[p - S] === m &&
        mask[p + S] === m
      ) {
        interior[p] = 1;
        interiorCounts[m]++;
      }
    }
  const useInterior = interiorCounts.map((n) => n >= 12);
  const pools: number[][] = Array.from({ length: NUM_CLASSES }, () => []);
  for (let p = 0; p < N; p++) if (!useInterior[mask[p]] || interior[p]) pools[mask[p]].push(p);

  // Share the stack's budget among the classes present; what a class cannot take goes to background.
  const budget = fraction * N * rng.uniform(0.85, 1.15);
  const present = counts.map((n) => n >= 6);
  const total = weights.reduce((s, w, c) => s + (present[c] ? w : 0), 0);
  const want = weights.map((w, c) => (present[c] ? Math.max(3, (budget * w) / total) : 0));
  let spare = 0;
  for (let c = 1; c < NUM_CLASSES; c++) {
    const cap = Math.max(3, STYLE[c].cap * counts[c]);
    if (want[c] > cap) {
      spare += want[c] - cap;
      want[c] = cap;
    }
  }
  want[C.background] = Math.min(want[C.background] + spare, STYLE[C.background].cap * counts[C.background]);

  const allowed = (p: number, c: number) => mask[p] === c && (!useInterior[c] || interior[p] === 1);
  for (let c = 0; c < NUM_CLASSES; c++) {
    if (!present[c] || pools[c].length === 0) continue;
    const st = STYLE[c];
    let done = 0;
    const stamp = (x: number, y: number, brush: [number, number][]) => {
      for (const [dx, dy] of brush) {
        const px = x + dx;
        const py = y + dy;
        if (px < 0 || py < 0 || px >= S || py >= S) continue;
        const p = py * S + px;
        if (mask[p] === c && labels[p] === UNLABELLED) {
          labels[p] = c;
          done++;
        }
      }
    };
    for (let attempt = 0; done < want[c] && attempt < 400; attempt++) {
      const start = pools[c][rng.int(0, pools[c].length)];
      let x = start % S;
      let y = (start - x) / S;
      const brush = BRUSHES[st.brush[rng.int(0, st.brush.length)]];
      if (rng.chance(st.dot)) {
        stamp(x, y, BRUSHES[Math.max(1, st.brush[0])]);
        continue;
      }
      // A stroke: a smooth random walk that turns to stay inside the object and stops when it cannot.
      const len = rng.int(st.stroke[0], st.stroke[1] + 1);
      let angle = rng.uniform(0, 2 * Math.PI);
      let fx = x;
      let fy = y;
      for (let step = 0; step < len && done < want[c]; step++) {
        stamp(x, y, brush);
        let moved = false;
        for (const turn of [0, 0.35, -0.35, 0.7, -0.7, 1.1, -1.1, 1.5, -1.5]) {
          const a = angle + turn;
          const nx = fx + Math.cos(a);
          const ny = fy + Math.sin(a);
          const ix = Math.round(nx);
          const iy = Math.round(ny);
          if (ix < 0 || iy < 0 || ix >= S || iy >= S || !allowed(iy * S + ix, c)) continue;
          angle = a + rng.normal() * 0.15;
          fx = nx;
          fy = ny;
          x = ix;
          y = iy;
          moved = true;
          break;
        }
        if (!moved) break;
      }
    }
  }
  return labels;
}
