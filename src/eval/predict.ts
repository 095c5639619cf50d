// Sliding-window inference with libtorch: the engine-agnostic window (sliding-window.ts) driven
// by a hemoseg model's forward.
import { type Device, isFloating, noGrad, scope, type Tensor, tensor } from "../torch/index.js";
import type { Segmenter } from "./evaluate.js";
import { WindowBlender, type WindowOptions } from "./sliding-window.js";

export { hannWindow, slidingWindows, type Window, windowStarts } from "./sliding-window.js";

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

export interface PredictOptions extends WindowOptions {
  device?: "cpu" | "cuda";
}

export interface PredictResult {
  /** (H*W) argmax class per pixel, row-major. */
  labels: Uint8Array;
  /** (K, H, W) float32 on the CPU: softmax of the blended logits, when asked for. */
  probs?: Tensor;
}

/** Labels a (C, H, W) stack of raw pixel values (any real dtype) window by window. */
export function predictStack(model: Segmenter, image: Tensor, o: PredictOptions): PredictResult {
  const device = o.device ?? "cpu";
  const [, H, W] = image.shape;
  const b = new WindowBlender(image.ndim === 3 ? image.toFloat32Array() : new Float32Array(), image.shape, o);
  model.eval();
  noGrad(() => {
    for (let i = 0; i < b.windows.length; i += b.batch) {
      const n = Math.min(b.batch, b.windows.length - i);
      const logits = scope(() => {
        const tiles = tensor(b.tiles(i, n), [n, image.size(0), o.tile, o.tile]).to(device);
        return model.forward(tiles).float().to("cpu").toFloat32Array();
      });
      b.add(i, n, logits);
    }
  });
  const r = b.finish(o.probs);
  return r.probs ? { labels: r.labels, probs: tensor(r.probs, [r.classes, H, W]) } : { labels: r.labels };
}
