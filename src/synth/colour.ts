// Previews: a false-colour composite of three channels, and class overlays on top of it.

import { CLASS_COLOURS, UNLABELLED } from "./classes.js";

/** Default composite channels: long, middle and short wavelengths as red, green and blue. */
export function defaultPick(channels: number): [number, number, number] {
  const at = (t: number) => Math.round(t * (channels - 1));
  return [at(0.78), at(0.45), at(0.07)];
}

/** Low and high percentiles of one plane, from a 2048-bin histogram over its range. */
function percentiles(plane: Float32Array, lo: number, hi: number): [number, number] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of plane) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(max > min)) return [min, min + 1];
  const bins = 2048;
  const hist = new Uint32Array(bins);
  const scale = (bins - 1) / (max - min);
  for (const v of plane) hist[Math.floor((v - min) * scale)]++;
  const at = (q: number) => {
    const target = q * plane.length;
    let acc = 0;
    for (let i = 0; i < bins; i++) {
      acc += hist[i];
      if (acc >= target) return min + i / scale;
    }
    return max;
  };
  const a = at(lo);
  const b = at(hi);
  return b > a ? [a, b] : [min, max];
}

/** (S, S, 3) RGB of three channels of a (C, S, S) image, each stretched between its 0.5th and 99.5th
 * percentiles. */
export function falseColour(
  image: Float32Array,
  channels: number,
  size: number,
  pick: [number, number, number] = defaultPick(channels),
): Uint8Array {
  const N = size * size;
  if (image.length !== channels * N)
    throw new Error(`falseColour: image has ${image.length} values, not ${channels} x ${size} x ${size}`);
  const rgb = new Uint8Array(N * 3);
  pick.forEach((c, k) => {
    if (!Number.isInteger(c) || c < 0 || c >= channels)
      throw new Error(`falseColour: channel ${c} is outside 0..${channels - 1}`);
    const plane = image.subarray(c * N, (c + 1) * N);
    const [lo, hi] = percentiles(plane, 0.005, 0.995);
    const s = 255 / (hi - lo);
    for (let p = 0; p < N; p++) {
      const v = (plane[p] - lo) * s;
      rgb[p * 3 + k] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
    }
  });
  return rgb;
}

/** Blends class colours over an RGB image: the full mask at `alpha` (background left as it is), or sparse
 * labels drawn solid over a dimmed image so the strokes stand out. */
export function overlay(
  rgb: Uint8Array,
  labels: Uint8Array,
  mode: "full" | "sparse",
  colours: [number, number, number][] = CLASS_COLOURS,
  alpha = 0.45,
): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let p = 0; p < labels.length; p++) {
    const c = labels[p];
    for (let k = 0; k < 3; k++) {
      const v = rgb[p * 3 + k];
      let o: number;
      if (mode === "sparse") o = c === UNLABELLED ? v * 0.45 : colours[c][k];
      else o = c === 0 ? v : (1 - alpha) * v + alpha * colours[c][k];
      out[p * 3 + k] = Math.round(o);
    }
  }
  return out;
}
