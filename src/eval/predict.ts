// Sliding-window inference: a segmenter trained on T x T tiles labels a stack of any size at
// least one tile. Windows overlap and their logits are blended with a 2-D Hann weight, so each
// pixel's logits are a weighted mean of every window covering it and tile seams vanish.
import {
  type Device,
  isFloating,
  keep,
  noGrad,
  scope,
  stack,
  type Tensor,
  tensor,
  zeros,
} from "../torch/index.js";
import type { Segmenter } from "./evaluate.js";

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

/** (..., C, H, W) -> float32 (x - mean) / std per channel; a constant channel (std 0) is centred only, as the loader does. */
export function normaliseChannels(x: Tensor, mean: number[], std: number[]): Tensor {
  const C = x.size(-3);
  if (mean.length !== C || std.length !== C) {
    throw new Error(`normaliseChannels: ${C} channels but statistics for ${mean.length}`);
  }
  return scope(() => {
    const m = tensor(Float32Array.from(mean), [C, 1, 1]).to(x.device as Device);
    const s = tensor(
      Float32Array.from(std, (v) => (v > 0 ? v : 1)),
      [C, 1, 1],
    ).to(x.device as Device);
    return x.float().sub(m).div(s);
  });
}

/**
 * Throws when a (C, H, W) image holds NaN or an infinity, naming `name` and the first such
 * value's channel, row and column: one such pixel would otherwise turn the whole blended
 * prediction into class 0.
 */
export function checkFinite(image: Tensor, name: string): void {
  if (!isFloating(image.dtype) || image.numel === 0) return;
  const bad = scope(() => {
    const notFinite = image.isfinite().logicalNot();
    if (!notFinite.any().item()) return null;
    const at = notFinite.reshape([-1]).to("uint8").argmax().item();
    return { at, value: image.reshape([-1]).narrow(0, at, 1).item() };
  });
  if (!bad) return;
  const [, H, W] = image.ndim === 3 ? image.shape : [1, 1, image.numel];
  const c = Math.floor(bad.at / (H * W));
  const y = Math.floor((bad.at % (H * W)) / W);
  const count = scope(() => image.isfinite().logicalNot().sum().item());
  throw new Error(
    `${name}: holds ${count} non-finite value(s) (the first, ${bad.value}, at channel ${c}, row ${y}, column ${bad.at % W}); ` +
      "fix or mask them before predicting",
  );
}

export interface PredictOptions {
  /** The side of the square tiles the model was trained on. */
  tile: number;
  /** Fraction of a tile shared by neighbouring windows, in [0, 1) (default 0.5). */
  overlap?: number;
  /** Windows per forward pass (default 16). */
  batch?: number;
  device?: "cpu" | "cuda";
  /** Per-channel training statistics (see normaliseChannels). */
  mean: number[];
  std: number[];
  /** Also return the blended class probabilities. */
  probs?: boolean;
}

export interface PredictResult {
  /** (H*W) argmax class per pixel, row-major. */
  labels: Uint8Array;
  /** (K, H, W) float32 on the CPU: softmax of the blended logits, when asked for. */
  probs?: Tensor;
}

/** Labels a (C, H, W) stack of raw pixel values (any real dtype) window by window. */
export function predictStack(model: Segmenter, image: Tensor, o: PredictOptions): PredictResult {
  const { tile, overlap = 0.5, batch = 16, device = "cpu", mean, std } = o;
  if (image.ndim !== 3) throw new Error(`predictStack: image of shape [${image.shape}] is not (C, H, W)`);
  const [C, H, W] = image.shape;
  if (mean.length !== C || std.length !== C) {
    throw new Error(`predictStack: image has ${C} channels but the statistics have ${mean.length}`);
  }
  if (H < tile || W < tile)
    throw new Error(`predictStack: image ${H} x ${W} is smaller than one ${tile} x ${tile} tile`);
  if (!(Number.isInteger(batch) && batch > 0))
    throw new Error(`predictStack: batch must be a positive integer, got ${batch}`);
  checkFinite(image, "predictStack: image");
  const windows = slidingWindows(H, W, tile, overlap);
  model.eval();
  return scope(() =>
    noGrad(() => {
      const x = normaliseChannels(image, mean, std); // (C, H, W)
      const weight = tensor(hannWindow(tile), [1, tile, tile]).to(device); // (1, T, T)
      const weightSum = zeros([1, H, W], { device });
      let sum: Tensor | undefined; // (K, H, W), allocated once the class count is known
      try {
        for (let i = 0; i < windows.length; i += batch) {
          const group = windows.slice(i, i + batch);
          scope(() => {
            const tiles = stack(group.map(({ y, x: x0 }) => x.narrow(1, y, tile).narrow(2, x0, tile))).to(
              device,
            ); // (B, C, T, T)
            const logits = model.forward(tiles).float(); // (B, K, T, T)
            sum ??= keep(zeros([logits.size(1), H, W], { device }));
            group.forEach(({ y, x: x0 }, j) => {
              sum!.narrow(1, y, tile).narrow(2, x0, tile).add_(logits.select(0, j).mul(weight));
              weightSum.narrow(1, y, tile).narrow(2, x0, tile).add_(weight);
            });
          });
        }
        const blended = sum!.div(weightSum); // (K, H, W)
        const labels = blended.argmax(0).to("uint8").to("cpu").toTypedArray() as Uint8Array;
        return o.probs ? { labels, probs: blended.softmax(0).to("cpu") } : { labels };
      } finally {
        sum?.dispose();
      }
    }),
  );
}
