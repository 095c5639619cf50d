// The sliding window of `hemoseg predict` (src/eval/predict.ts) without libtorch, for the browser:
// the same window starts, the same sin² Hann weight, per-channel normalisation, and a blender that
// accumulates weighted logits and takes the argmax. Pure TypeScript; no DOM.

export interface Window {
  y: number;
  x: number;
}

/** Window starts along one axis: every `stride` pixels, plus a last one flush with the far edge. */
export function windowStarts(size: number, tile: number, overlap: number): number[] {
  if (size < tile) throw new Error(`size ${size} is smaller than the tile ${tile}`);
  const stride = Math.max(1, Math.round(tile * (1 - overlap)));
  const starts: number[] = [];
  for (let s = 0; s + tile < size; s += stride) starts.push(s);
  starts.push(size - tile);
  return starts;
}

/** Top-left corners of the windows covering an H x W image, row by row. */
export function slidingWindows(H: number, W: number, tile: number, overlap: number): Window[] {
  if (!(overlap >= 0 && overlap < 1)) throw new Error(`overlap must be in [0, 1), got ${overlap}`);
  const xs = windowStarts(W, tile, overlap);
  return windowStarts(H, tile, overlap).flatMap((y) => xs.map((x) => ({ y, x })));
}

/** (T*T) separable weight sin²(π(i + ½)/T) per axis, as hemoseg predict blends with. */
export function hannWindow(tile: number): Float32Array {
  const w1 = Array.from({ length: tile }, (_, i) => Math.sin((Math.PI * (i + 0.5)) / tile) ** 2);
  const w = new Float32Array(tile * tile);
  for (let y = 0; y < tile; y++) for (let x = 0; x < tile; x++) w[y * tile + x] = w1[y] * w1[x];
  return w;
}

/** (C, H, W) raw values -> (x - mean) / std per channel in float32; std 0 counts as 1. */
export function normalise(data: ArrayLike<number>, C: number, mean: number[], std: number[]): Float32Array {
  if (mean.length !== C || std.length !== C)
    throw new Error(`${C} channels but statistics for ${mean.length}`);
  const out = new Float32Array(data.length);
  const plane = data.length / C;
  for (let c = 0; c < C; c++) {
    const m = Math.fround(mean[c]);
    const s = Math.fround(std[c] > 0 ? std[c] : 1);
    for (let i = c * plane; i < (c + 1) * plane; i++) out[i] = Math.fround(Math.fround(data[i]) - m) / s;
  }
  return out;
}

/** Copies the windows' (C, T, T) crops of a (C, H, W) image into one (B, C, T, T) batch. */
export function cropBatch(x: Float32Array, C: number, H: number, W: number, tile: number, group: Window[]) {
  const T2 = tile * tile;
  const out = new Float32Array(group.length * C * T2);
  group.forEach(({ y, x: x0 }, b) => {
    for (let c = 0; c < C; c++)
      for (let r = 0; r < tile; r++) {
        const from = c * H * W + (y + r) * W + x0;
        out.set(x.subarray(from, from + tile), ((b * C + c) * tile + r) * tile);
      }
  });
  return out;
}

/** Weighted sum of window logits over a K x H x W image; labels() is the per-pixel argmax. */
export class Blender {
  readonly sum: Float32Array;
  readonly weightSum: Float32Array;
  private readonly weight: Float32Array;

  constructor(
    readonly K: number,
    readonly H: number,
    readonly W: number,
    readonly tile: number,
  ) {
    this.sum = new Float32Array(K * H * W);
    this.weightSum = new Float32Array(H * W);
    this.weight = hannWindow(tile);
  }

  /** Adds (B, K, T, T) logits of the windows `group`, in order. */
  add(logits: Float32Array, group: Window[]): void {
    const { K, H, W, tile, weight } = this;
    const T2 = tile * tile;
    if (logits.length !== group.length * K * T2)
      throw new Error(
        `the model gave ${logits.length} logits for ${group.length} windows of ${K} x ${tile}²`,
      );
    group.forEach(({ y, x }, b) => {
      for (let k = 0; k < K; k++) {
        const base = (b * K + k) * T2;
        for (let r = 0; r < tile; r++) {
          const row = k * H * W + (y + r) * W + x;
          for (let c = 0; c < tile; c++)
            this.sum[row + c] += logits[base + r * tile + c] * weight[r * tile + c];
        }
      }
      for (let r = 0; r < tile; r++)
        for (let c = 0; c < tile; c++) this.weightSum[(y + r) * W + x + c] += weight[r * tile + c];
    });
  }

  /** Argmax over classes of the blended logits (the first class on ties). */
  labels(): Uint8Array {
    const { K, H, W } = this;
    const n = H * W;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const ws = this.weightSum[i];
      let best = 0;
      let bestV = this.sum[i] / ws;
      for (let k = 1; k < K; k++) {
        const v = this.sum[k * n + i] / ws;
        if (v > bestV) {
          best = k;
          bestV = v;
        }
      }
      out[i] = best;
    }
    return out;
  }
}
