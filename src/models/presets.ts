// The seed paper's two ViTMAE configurations (Tables 2-3) and its pre-training settings.
import type { ViTMAEConfig } from "./vitmae.js";

export type PresetName = "model1" | "model2";

type Dims = Pick<
  ViTMAEConfig,
  | "hiddenSize"
  | "intermediateSize"
  | "numHiddenLayers"
  | "numAttentionHeads"
  | "decoderHiddenSize"
  | "decoderIntermediateSize"
  | "decoderNumHiddenLayers"
  | "decoderNumAttentionHeads"
>;

export const PRESETS: Record<PresetName, Dims> = {
  // Model 1: symmetric encoder and decoder.
  model1: {
    hiddenSize: 192,
    intermediateSize: 768,
    numHiddenLayers: 6,
    numAttentionHeads: 6,
    decoderHiddenSize: 192,
    decoderIntermediateSize: 768,
    decoderNumHiddenLayers: 6,
    decoderNumAttentionHeads: 6,
  },
  // Model 2: smaller encoder, light decoder.
  model2: {
    hiddenSize: 192,
    intermediateSize: 512,
    numHiddenLayers: 4,
    numAttentionHeads: 4,
    decoderHiddenSize: 128,
    decoderIntermediateSize: 256,
    decoderNumHiddenLayers: 2,
    decoderNumAttentionHeads: 2,
  },
};

export interface PresetOptions {
  /** Tile side in pixels (default 64, the paper's tiles). */
  imageSize?: number;
  /** Patch side; must divide imageSize (default 4). */
  patchSize?: number;
  /** Image channels (default 16, the paper's spectral stack). */
  numChannels?: number;
  /** Default 0.5, the paper's choice. */
  maskRatio?: number;
  normPixLoss?: boolean;
}

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}

/** A full ViTMAE config for a preset, with the paper's settings unless overridden. */
export function presetConfig(name: string, o: PresetOptions = {}): ViTMAEConfig {
  if (!isPresetName(name))
    throw new Error(`unknown model preset '${name}' (expected ${Object.keys(PRESETS).join(" or ")})`);
  const imageSize = o.imageSize ?? 64;
  const patchSize = o.patchSize ?? 4;
  if (!Number.isInteger(patchSize) || patchSize < 1 || imageSize % patchSize !== 0) {
    throw new Error(`patch size ${patchSize} must be a positive integer dividing the tile size ${imageSize}`);
  }
  const maskRatio = o.maskRatio ?? 0.5;
  if (!(maskRatio >= 0 && maskRatio < 1)) throw new Error(`mask ratio ${maskRatio} must lie in [0, 1)`);
  return {
    ...PRESETS[name],
    hiddenAct: "gelu",
    layerNormEps: 1e-6,
    imageSize,
    patchSize,
    numChannels: o.numChannels ?? 16,
    qkvBias: true,
    initializerRange: 0.02,
    hiddenDropoutProb: 0,
    attentionProbsDropoutProb: 0,
    maskRatio,
    normPixLoss: o.normPixLoss ?? true,
  };
}
