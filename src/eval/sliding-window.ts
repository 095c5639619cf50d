// Sliding-window inference, engine-agnostic: a segmenter trained on T x T tiles labels a stack of
// any size at least one tile. Windows overlap and their logits are blended with a 2-D Hann
// weight, so each pixel's logits are a weighted mean of every window covering it and tile seams
// vanish. The engine is a function from a batch of normalised tiles to their logits (libtorch in
// predictStack, onnxruntime in the ONNX engine); everything here is plain typed arrays, no tensors.

export interface Window {
  y: number;
  x: number;
}

/** Window starts along one axis: every `stride` pixels, plus a last one flush with the far edge. */
export function windowStarts(size: number, tile: number, overlap: number): number[] {
  if (size < tile) throw new Error(`windowStarts: size ${size} is smaller than the tile ${tile}`);
  const stride = Math.max(1, Math.round(tile * (1 - overlap)));
  const starts: number[] = [];
  for (let s = 0; s + tile < size; s += stride) starts.push(s);
  starts.push(size - tile);
  return starts;
}

/** Top-left corners of the windows that tile an H x W image with the given overlap, row by row. */
export function slidingWindows(H: number, W: number, tile: number, overlap: number): Window[] {
  if (!(overlap >= 0 && overlap < 1)) throw new Error(`overlap must be in [0, 1), got ${overlap}`);
  const ys = windowStarts(H, tile, overlap);
  const xs = windowStarts(W, tile, overlap);
  return ys.flatMap((y) => xs.map((x) => ({ y, x })));
}

/**
 * (T*T) separable Hann weight sampled at pixel centres, sin²(π(i + ½)/T) per axis: never zero (so
 * border pixels seen by one window keep its logits), and at 50% overlap the shifted windows sum
 * to exactly 1 along each axis (sin² + cos²).
 */
export function hannWindow(tile: number): Float32Array {
  const w1 = Array.from({ length: tile }, (_, i) => Math.sin((Math.PI * (i + 0.5)) / tile) ** 2);
  const w = new Float32Array(tile * tile);
  for (let y = 0; y < tile; y++) for (let x = 0; x < tile; x++) w[y * tile + x] = w1[y] * w1[x];
  return w;
}

/**
 * (C, H, W) raw values -> float32 (x - mean) / std per channel, in float32 arithmetic as the
 * tensor version; a constant channel (std 0) is centred only, as the loader does.
 */
export function normaliseArray(data: Float32Array, C: number, mean: number[], std: number[]): Float32Array {
  if (mean.length !== C || std.length !== C) {
    throw new Error(`normalise: ${C} channels but statistics for ${mean.length}`);
  }
  const plane = data.length / C;
  const out = new Float32Array(data.length);
  for (let c = 0; c < C; c++) {
    const m = Math.fround(mean[c]);
    const s = Math.fround(std[c] > 0 ? std[c] : 1);
    for (let i = c * plane; i < (c + 1) * plane; i++) out[i] = Math.fround(data[i] - m) / s;
  }
  return out;
}

/**
 * Throws when a (C, H, W) image holds NaN or an infinity, naming `name` and the first such
 * value's channel, row and column: one such pixel would otherwise turn the whole blended
 * prediction into class 0.
 */
export function checkFiniteArray(data: Float32Array, shape: readonly number[], name: string): void {
  let count = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++)
    if (!Number.isFinite(data[i])) {
      count++;
      if (first < 0) first = i;
    }
  if (!count) return;
  const [, H, W] = shape.length === 3 ? shape : [1, 1, data.length];
  const c = Math.floor(first / (H * W));
  const y = Math.floor((first % (H * W)) / W);
  throw new Error(
    `${name}: holds ${count} non-finite value(s) (the first, ${data[first]}, at channel ${c}, row ${y}, column ${first % W}); ` +
      "fix or mask them before predicting",
  );
}

export interface WindowOptions {
  /** The side of the square tiles the model was trained on. */
  tile: number;
  /** Fraction of a tile shared by neighbouring windows, in [0, 1) (default 0.5). */
  overlap?: number;
  /** Windows per forward pass (default 16). */
  batch?: number;
  /** Per-channel training statistics (see normaliseArray). */
  mean: number[];
  std: number[];
  /** Also return the blended class probabilities. */
  probs?: boolean;
}

export interface WindowResult {
  /** (H*W) argmax class per pixel, row-major. */
  labels: Uint8Array;
  /** (K, H, W) softmax of the blended logits, when asked for. */
  probs?: Float32Array;
  classes: number;
}

/** A batch of normalised tiles (n, C, T, T) -> their logits (n, K, T, T). */
export type TileForward = (tiles: Float32Array, n: number) => Float32Array | Promise<Float32Array>;

/** Validates the options against a (C, H, W) image and returns its windows. */
function plan(shape: readonly number[], o: WindowOptions): Window[] {
  const { tile, overlap = 0.5, batch = 16, mean } = o;
  if (shape.length !== 3) throw new Error(`predictStack: image of shape [${shape}] is not (C, H, W)`);
  const [C, H, W] = shape;
  if (mean.length !== C || o.std.length !== C) {
    throw new Error(`predictStack: image has ${C} channels but the statistics have ${mean.length}`);
  }
  if (H < tile || W < tile)
    throw new Error(`predictStack: image ${H} x ${W} is smaller than one ${tile} x ${tile} tile`);
  if (!(Number.isInteger(batch) && batch > 0))
    throw new Error(`predictStack: batch must be a positive integer, got ${batch}`);
  return slidingWindows(H, W, tile, overlap);
}

/**
 * The state of one image's sliding window: cuts batches of tiles from the normalised image,
 * accumulates Hann-weighted logits, and resolves labels (and probabilities) at the end.
 */
export class WindowBlender {
  readonly windows: Window[];
  readonly batch: number;
  readonly #x: Float32Array;
  readonly #C: number;
  readonly #H: number;
  readonly #W: number;
  readonly #T: number;
  readonly #hann: Float32Array;
  readonly #weightSum: Float32Array;
  #sum?: Float32Array;
  #K = 0;

  /** image: (C, H, W) raw values, row-major. */
  constructor(image: Float32Array, shape: readonly number[], o: WindowOptions) {
    this.windows = plan(shape, o);
    [this.#C, this.#H, this.#W] = shape;
    if (image.length !== this.#C * this.#H * this.#W)
      throw new Error(`predictStack: ${image.length} values for shape [${shape}]`);
    checkFiniteArray(image, shape, "predictStack: image");
    this.#T = o.tile;
    this.batch = o.batch ?? 16;
    this.#x = normaliseArray(image, this.#C, o.mean, o.std);
    this.#hann = hannWindow(o.tile);
    this.#weightSum = new Float32Array(this.#H * this.#W);
  }

  /** Windows [start, start + n) as one (n, C, T, T) batch. */
  tiles(start: number, n: number): Float32Array {
    const C = this.#C;
    const T = this.#T;
    const W = this.#W;
    const plane = this.#H * W;
    const out = new Float32Array(n * C * T * T);
    for (let j = 0; j < n; j++) {
      const { y, x } = this.windows[start + j];
      for (let c = 0; c < C; c++)
        for (let r = 0; r < T; r++) {
          const src = c * plane + (y + r) * W + x;
          out.set(this.#x.subarray(src, src + T), ((j * C + c) * T + r) * T);
        }
    }
    return out;
  }

  /** Adds the logits (n, K, T, T) of windows [start, start + n). */
  add(start: number, n: number, logits: Float32Array): void {
    const T = this.#T;
    const TT = T * T;
    const K = logits.length / (n * TT);
    if (!Number.isInteger(K) || K < 1 || K > 256)
      throw new Error(
        `predictStack: the model returned ${logits.length} values for ${n} tiles of ${T} x ${T}`,
      );
    if (!this.#sum) {
      this.#K = K;
      this.#sum = new Float32Array(K * this.#H * this.#W);
    } else if (K !== this.#K)
      throw new Error(`predictStack: the model returned ${K} classes, then ${this.#K}`);
    const sum = this.#sum;
    const W = this.#W;
    const plane = this.#H * W;
    const w = this.#hann;
    for (let j = 0; j < n; j++) {
      const { y, x } = this.windows[start + j];
      for (let r = 0; r < T; r++) {
        const row = (y + r) * W + x;
        for (let q = 0; q < T; q++) this.#weightSum[row + q] += w[r * T + q];
        for (let k = 0; k < K; k++) {
          const src = (j * K + k) * TT + r * T;
          const dst = k * plane + row;
          for (let q = 0; q < T; q++) sum[dst + q] += logits[src + q] * w[r * T + q];
        }
      }
    }
  }

  /** Labels by argmax of the blended logits (first class on ties), and their softmax if asked. */
  finish(withProbs = false): WindowResult {
    const sum = this.#sum;
    if (!sum) throw new Error("predictStack: no window was added");
    const K = this.#K;
    const plane = this.#H * this.#W;
    const labels = new Uint8Array(plane);
    const probs = withProbs ? new Float32Array(K * plane) : undefined;
    const v = new Float64Array(K);
    for (let i = 0; i < plane; i++) {
      const ws = this.#weightSum[i];
      let best = 0;
      for (let k = 0; k < K; k++) {
        v[k] = Math.fround(sum[k * plane + i] / ws);
        if (v[k] > v[best]) best = k;
      }
      labels[i] = best;
      if (probs) {
        let z = 0;
        for (let k = 0; k < K; k++) z += Math.exp(v[k] - v[best]);
        for (let k = 0; k < K; k++) probs[k * plane + i] = Math.exp(v[k] - v[best]) / z;
      }
    }
    return { labels, probs, classes: K };
  }
}

/** Labels a (C, H, W) image window by window with any engine (async: onnxruntime's runs are). */
export async function slideWindows(
  image: Float32Array,
  shape: readonly number[],
  o: WindowOptions,
  forward: TileForward,
): Promise<WindowResult> {
  const b = new WindowBlender(image, shape, o);
  for (let i = 0; i < b.windows.length; i += b.batch) {
    const n = Math.min(b.batch, b.windows.length - i);
    b.add(i, n, await forward(b.tiles(i, n), n));
  }
  return b.finish(o.probs);
}
