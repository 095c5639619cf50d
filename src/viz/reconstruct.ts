// MAE reconstructions as pictures, the way MAE's visualisation notebook shows them: the original
// tile, the tile with its removed patches greyed, the decoder's prediction, and the prediction
// with the visible patches pasted back, one row per tile, in false colour.
import type { ViTMAEForPreTraining } from "../models/vitmae.js";
import { noGrad, scope, type Tensor, where } from "../torch/index.js";
import { percentile, type Rgb } from "./colours.js";
import { LINE_HEIGHT, textWidth } from "./font.js";
import { Canvas, fitText } from "./render.js";

/**
 * Undoes norm-pix targets: each predicted patch (B, L, D) is scaled by the original patch's own
 * std (unbiased variance + 1e-6, as the loss normalised it) and shifted by its mean.
 */
export function unnormalisePatches(pred: Tensor, originalPatches: Tensor): Tensor {
  return scope(() => {
    const mean = originalPatches.mean(-1, true); // (B, L, 1)
    const std = originalPatches.var(-1, true, true).add(1e-6).sqrt();
    return pred.mul(std).add(mean);
  });
}

export interface Reconstruction {
  /** (B, C, S, S) the prediction in the input's pixel space. */
  reconstruction: Tensor;
  /** (B, C, S, S) the input where patches were visible, the prediction where they were removed. */
  pasted: Tensor;
  /** (B, S, S) 1 where the patch was removed, 0 where the encoder saw it. */
  removed: Tensor;
  /** Per tile: the model's loss (mean per-patch MSE over removed patches; NaN when none is removed). */
  loss: number[];
}

/** Runs the MAE on normalised tiles (B, C, S, S) under a given mask (noise (B, L)) and rebuilds images. */
export function reconstruct(
  model: ViTMAEForPreTraining,
  pixelValues: Tensor,
  o: { noise?: Tensor; maskRatio?: number } = {},
): Reconstruction {
  const { patchSize: p, numChannels: C, normPixLoss } = model.config;
  return scope(() =>
    noGrad(() => {
      const out = model.forward({ pixelValues, noise: o.noise, maskRatio: o.maskRatio });
      const [B, L] = out.mask.shape;
      const pred = normPixLoss ? unnormalisePatches(out.logits, model.patchify(pixelValues)) : out.logits;
      const reconstruction = model.unpatchify(pred); // (B, C, S, S)
      const removedPx = model.unpatchify(
        out.mask
          .unsqueeze(-1)
          .expand(B, L, p * p * C)
          .contiguous(),
      );
      const pasted = where(removedPx.gt(0), reconstruction, pixelValues);
      const loss = Array.from({ length: B }, (_, i) =>
        model
          .forwardLoss(pixelValues.narrow(0, i, 1), out.logits.narrow(0, i, 1), out.mask.narrow(0, i, 1))
          .item(),
      );
      return { reconstruction, pasted, removed: removedPx.select(1, 0), loss };
    }),
  );
}

/** One grid row: float planes (C*S*S, row-major) and the removed-pixel map (S*S). */
export interface ReconstructionRow {
  original: Float32Array;
  reconstruction: Float32Array;
  pasted: Float32Array;
  removed: Uint8Array;
  /** Lines written left of the row (which tile, its loss). */
  label?: string[];
}

export interface GridOptions {
  channels: [number, number, number];
  /** Pixel magnification (nearest neighbour); default makes a tile at least 128 pixels wide. */
  scale?: number;
  /** Colour of removed patches in the "masked" column. */
  grey?: Rgb;
}

export const COLUMN_TITLES = ["original", "masked", "reconstruction", "recon + visible"] as const;
export const GRID_GAP = 6;

/** Per channel [lo, hi]: the original's 1st and 99th percentiles, shared by a row's four images. */
function stretchLimits(image: Float32Array, S: number, channels: readonly number[]): [number, number][] {
  return channels.map((c) => {
    const plane = image.subarray(c * S * S, (c + 1) * S * S);
    return [percentile(plane, 1), percentile(plane, 99)];
  });
}

function toRgb(
  image: Float32Array,
  S: number,
  channels: readonly number[],
  limits: [number, number][],
): Uint8Array {
  const out = new Uint8Array(S * S * 3);
  channels.forEach((c, k) => {
    const [lo, hi] = limits[k];
    const scale = hi > lo ? 255 / (hi - lo) : 0;
    for (let i = 0; i < S * S; i++) {
      const v = (image[c * S * S + i] - lo) * scale;
      out[i * 3 + k] = Number.isFinite(v) ? Math.max(0, Math.min(255, Math.round(v))) : 0;
    }
  });
  return out;
}

/**
 * Rows of original | masked | reconstruction | recon + visible under column titles, each row's
 * images stretched alike (by the original's percentiles) so brightness compares across columns.
 */
export function reconstructionGrid(rows: ReconstructionRow[], C: number, S: number, o: GridOptions): Canvas {
  if (rows.length === 0) throw new Error("reconstructionGrid: no rows");
  const bad = o.channels.find((c) => !(Number.isInteger(c) && c >= 0 && c < C));
  if (bad !== undefined) throw new Error(`reconstructionGrid: channel ${bad} is outside [0, ${C})`);
  const grey = o.grey ?? [128, 128, 128];
  const scale = o.scale ?? Math.max(1, Math.ceil(128 / S));
  const cell = S * scale;
  const gap = GRID_GAP;
  const labelWidth = Math.max(0, ...rows.flatMap((r) => (r.label ?? []).map((l) => textWidth(l) + gap)));
  const top = gap + LINE_HEIGHT;
  const canvas = new Canvas(gap + labelWidth + 4 * (cell + gap), top + rows.length * (cell + gap));
  COLUMN_TITLES.forEach((t, k) => {
    canvas.text(gap + labelWidth + k * (cell + gap), gap, fitText(t, cell));
  });
  rows.forEach((r, i) => {
    for (const [name, a] of Object.entries({
      original: r.original,
      reconstruction: r.reconstruction,
      pasted: r.pasted,
    }))
      if (a.length !== C * S * S)
        throw new Error(`reconstructionGrid: row ${i} ${name} has ${a.length} values, not ${C}*${S}*${S}`);
    if (r.removed.length !== S * S)
      throw new Error(`reconstructionGrid: row ${i} mask has ${r.removed.length} values, not ${S}*${S}`);
    const limits = stretchLimits(r.original, S, o.channels);
    const original = toRgb(r.original, S, o.channels, limits);
    const masked = Uint8Array.from(original);
    for (let j = 0; j < S * S; j++) if (r.removed[j]) masked.set(grey, j * 3);
    const images = [
      original,
      masked,
      toRgb(r.reconstruction, S, o.channels, limits),
      toRgb(r.pasted, S, o.channels, limits),
    ];
    const y = top + i * (cell + gap);
    (r.label ?? []).forEach((line, k) => {
      canvas.text(gap, y + k * LINE_HEIGHT, line);
    });
    images.forEach((rgb, k) => {
      canvas.drawImage(rgb, S, S, gap + labelWidth + k * (cell + gap), y, scale);
    });
  });
  return canvas;
}
