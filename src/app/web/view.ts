// Pixels for the three stacked canvases: the image in false colour, the prediction overlay and
// the painted strokes, as RGBA buffers.
import type { Stack } from "./decode.js";

/** The p-th percentile of a plane, from a sorted sample of at most 65536 values. */
function percentile(plane: Float32Array, p: number, sorted?: Float32Array): number {
  const s = sorted ?? sample(plane);
  return s[Math.min(s.length - 1, Math.max(0, Math.round((p / 100) * (s.length - 1))))];
}

function sample(plane: Float32Array): Float32Array {
  const step = Math.max(1, Math.floor(plane.length / 65536));
  const s = new Float32Array(Math.ceil(plane.length / step));
  for (let i = 0, j = 0; i < plane.length; i += step, j++) s[j] = plane[i];
  return s.sort();
}

/** RGBA of three channels (or one, as grey) stretched between their 1st and 99th percentiles. */
export function falseColour(stack: Stack, rgb: [number, number, number]): Uint8ClampedArray<ArrayBuffer> {
  const { C, H, W, data } = stack;
  const n = H * W;
  const pick = C >= 3 ? rgb.map((c) => Math.min(c, C - 1)) : [0, 0, 0];
  const out = new Uint8ClampedArray(n * 4);
  pick.forEach((c, k) => {
    const plane = data.subarray(c * n, (c + 1) * n);
    const s = sample(plane);
    const lo = percentile(plane, 1, s);
    const hi = percentile(plane, 99, s);
    const scale = hi > lo ? 255 / (hi - lo) : 0;
    for (let i = 0; i < n; i++) out[4 * i + k] = (plane[i] - lo) * scale;
  });
  for (let i = 0; i < n; i++) out[4 * i + 3] = 255;
  return out;
}

/** RGBA of the labels in their class colours; hidden classes (and values >= K) transparent. */
export function labelColours(
  labels: Uint8Array,
  colours: [number, number, number][],
  visible: boolean[],
  out = new Uint8ClampedArray(labels.length * 4),
  only?: number[],
): Uint8ClampedArray<ArrayBuffer> {
  const paint = (i: number) => {
    const k = labels[i];
    const c = colours[k];
    const on = c !== undefined && visible[k];
    out[4 * i] = on ? c[0] : 0;
    out[4 * i + 1] = on ? c[1] : 0;
    out[4 * i + 2] = on ? c[2] : 0;
    out[4 * i + 3] = on ? 255 : 0;
  };
  if (only) for (const i of only) paint(i);
  else for (let i = 0; i < labels.length; i++) paint(i);
  return out as Uint8ClampedArray<ArrayBuffer>;
}

/** Pixels per class 0..K-1. */
export function classCounts(labels: Uint8Array, K: number): number[] {
  const out = new Array<number>(K).fill(0);
  for (const v of labels) if (v < K) out[v]++;
  return out;
}
