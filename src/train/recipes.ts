// Fine-tuning recipes: named overrides of the fine-tuning options, compared by bench/recipes.ts and
// the "recipes" sweep (README "Which fine-tuning recipe"), and chosen by `hemoseg demo --recipe`.
import type { FinetuneOptions } from "./finetune.js";

/** Fine-tuning options a recipe may set (data, run dir, encoder and device belong to the caller). */
export type FinetuneSettings = Omit<
  FinetuneOptions,
  "data" | "out" | "encoder" | "device" | "resume" | "quiet"
>;

/** A named set of fine-tuning overrides. */
export type Recipe = Partial<FinetuneSettings> & {
  /** Start the UNETR from a pre-trained encoder (default: unless arch is unet). */
  pretrained?: boolean;
};

/**
 * The seed paper's plain recipe, the UNETR from scratch, the MAE/BEiT fine-tuning tools (encoder
 * lr, layer decay 0.75 with warm-up, frozen-encoder epochs) and the U-Net baseline. Measured over 3
 * seeds on the demo's data, none beat "paper", so the demo keeps it by default.
 */
export const RECIPES: Record<string, Recipe> = {
  paper: {},
  scratch: { pretrained: false },
  "enc-lr-1e-4": { encoderLr: 1e-4, warmupEpochs: 1 },
  "lrd-0.75": { encoderLr: 1e-4, warmupEpochs: 1, layerDecay: 0.75 },
  "frozen-3": { frozenEpochs: 3, encoderLr: 1e-4 },
  unet: { arch: "unet", pretrained: false },
};

/** Whether a recipe fine-tunes from a pre-trained encoder, given the architecture it ends up with. */
export const usesEncoder = (r: Recipe, arch: FinetuneOptions["arch"]): boolean =>
  r.pretrained ?? arch !== "unet";
