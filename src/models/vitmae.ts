// ViTMAE: Hugging Face's ViTMAEForPreTraining (modeling_vit_mae.py), numerically and by key name,
// with the original MAE's helper names (models_mae.py: patchify, unpatchify, randomMasking,
// forwardLoss) and initialisation. Checkpoints are HF's config.json + model.safetensors.
import { join } from "node:path";
import { arange, cat, nn, ones, rand, scope, type Tensor, zeros } from "../torch/index.js";
import { CONFIG_FILE, loadWeightsFile, saveCheckpoint, WEIGHTS_FILE } from "./checkpoint-files.js";
import { loadViTMAEConfig, vitMaeConfigToHF } from "./hf-config.js";
import { sinCosPosEmbed2d } from "./pos-embed.js";
import {
  initViTWeights,
  runLayers,
  type ViTConfig,
  ViTEncoder,
  ViTLayer,
  type ViTLayerConfig,
  ViTPatchEmbeddings,
  type WeightInit,
  xavierUniform2d_,
} from "./vit.js";

export interface ViTMAEConfig extends ViTConfig {
  decoderHiddenSize: number;
  decoderNumHiddenLayers: number;
  decoderNumAttentionHeads: number;
  decoderIntermediateSize: number;
  /** Fraction of patches removed, in [0, 1); 0 keeps every patch in its own order. */
  maskRatio: number;
  normPixLoss: boolean;
}

export interface ViTMAEOptions {
  /** Linear weights: "xavier" (the original MAE's, default) or HF's "normal"(initializer_range). */
  init?: Extract<WeightInit, "xavier" | "normal">;
}

export interface Masking {
  /** (B, K, D) the kept tokens, in shuffled order. */
  kept: Tensor;
  /** (B, L) float: 0 kept, 1 removed, in the original patch order. */
  mask: Tensor;
  /** (B, L) int64: position of each original patch in the shuffled order. */
  idsRestore: Tensor;
}

/**
 * MAE's per-sample random masking: patches sorted by noise (ascending = kept), the first
 * trunc(L * (1 - ratio)) kept. Ratio 0 keeps every patch in its own order (noise unused; `kept`
 * is then seq itself).
 */
export function randomMasking(seq: Tensor, maskRatio: number, noise?: Tensor): Masking {
  return scope(() => {
    const [b, l, d] = seq.shape;
    if (maskRatio === 0) {
      const ids = arange(l, undefined, 1, { device: seq.device }).unsqueeze(0).expand(b, l).contiguous();
      return { kept: seq, mask: zeros([b, l], { device: seq.device }), idsRestore: ids };
    }
    const lenKeep = Math.trunc(l * (1 - maskRatio));
    if (noise && (noise.ndim !== 2 || noise.size(0) !== b || noise.size(1) !== l)) {
      throw new Error(`noise of shape [${noise.shape}] does not match (batch, patches) = (${b}, ${l})`);
    }
    const n = noise ?? rand([b, l], { device: seq.device });
    const idsShuffle = n.argsort(1);
    const idsRestore = idsShuffle.argsort(1);
    const idsKeep = idsShuffle.slice(1, 0, lenKeep);
    const kept = seq.gather(1, idsKeep.unsqueeze(-1).expand(b, lenKeep, d)); // (B, K, D)
    const shuffledMask = cat(
      [zeros([b, lenKeep], { device: seq.device }), ones([b, l - lenKeep], { device: seq.device })],
      1,
    );
    return { kept, mask: shuffledMask.gather(1, idsRestore), idsRestore };
  });
}

/** CLS token, fixed sin-cos position embeddings (a buffer: saved, never trained), patch conv, masking. */
export class ViTMAEEmbeddings extends nn.Module {
  readonly clsToken: Tensor; // (1, 1, D)
  readonly positionEmbeddings: Tensor; // (1, 1 + L, D)
  readonly patchEmbeddings: ViTPatchEmbeddings;
  constructor(readonly config: ViTMAEConfig) {
    super();
    this.clsToken = this.param("cls_token", zeros([1, 1, config.hiddenSize]));
    this.patchEmbeddings = this.module("patch_embeddings", new ViTPatchEmbeddings(config));
    this.positionEmbeddings = this.buffer(
      "position_embeddings",
      sinCosPosEmbed2d(config.imageSize / config.patchSize, config.hiddenSize),
    );
  }
  forward(pixelValues: Tensor, maskRatio: number, noise?: Tensor): Masking {
    return scope(() => {
      const pos = this.positionEmbeddings;
      const patches = this.patchEmbeddings.forward(pixelValues).add(pos.slice(1, 1)); // (B, L, D)
      const { kept, mask, idsRestore } = randomMasking(patches, maskRatio, noise);
      const cls = this.clsToken.add(pos.slice(1, 0, 1)).expand(kept.size(0), -1, -1);
      return { kept: cat([cls, kept], 1), mask, idsRestore }; // kept: (B, 1 + K, D)
    });
  }
}

export interface ViTMAEModelOutput {
  /** (B, 1 + K, D) after the final layernorm. */
  lastHiddenState: Tensor;
  mask: Tensor;
  idsRestore: Tensor;
  /** numHiddenLayers + 1 entries: 0 = embeddings output, k = output of layer k. */
  hiddenStates?: Tensor[];
}

/** HF's ViTMAEModel: the encoder that sees only the kept patches. */
export class ViTMAEModel extends nn.Module {
  readonly embeddings: ViTMAEEmbeddings;
  readonly encoder: ViTEncoder;
  readonly layernorm: nn.LayerNorm;
  constructor(readonly config: ViTMAEConfig) {
    super();
    this.embeddings = this.module("embeddings", new ViTMAEEmbeddings(config));
    this.encoder = this.module("encoder", new ViTEncoder(config, config.numHiddenLayers));
    this.layernorm = this.module("layernorm", new nn.LayerNorm(config.hiddenSize, config.layerNormEps));
  }
  forward(
    pixelValues: Tensor,
    o: { noise?: Tensor; maskRatio?: number; outputHiddenStates?: boolean } = {},
  ): ViTMAEModelOutput {
    return scope(() => {
      const { kept, mask, idsRestore } = this.embeddings.forward(
        pixelValues,
        o.maskRatio ?? this.config.maskRatio,
        o.noise,
      );
      const { lastHiddenState, hiddenStates } = this.encoder.forward(kept, o.outputHiddenStates ?? false);
      return { lastHiddenState: this.layernorm.forward(lastHiddenState), mask, idsRestore, hiddenStates };
    });
  }
}

/** The decoder config HF derives by copying the encoder's and swapping in the decoder_* sizes. */
export function decoderLayerConfig(c: ViTMAEConfig): ViTLayerConfig {
  return {
    ...c,
    hiddenSize: c.decoderHiddenSize,
    numAttentionHeads: c.decoderNumAttentionHeads,
    intermediateSize: c.decoderIntermediateSize,
  };
}

/** HF's ViTMAEDecoder: embed, fill with mask tokens, unshuffle, blocks, norm, predict pixels. */
export class ViTMAEDecoder extends nn.Module {
  readonly decoderEmbed: nn.Linear;
  readonly maskToken: Tensor; // (1, 1, Dd)
  readonly decoderPosEmbed: Tensor; // (1, 1 + L, Dd)
  readonly decoderLayers: nn.ModuleList<ViTLayer>;
  readonly decoderNorm: nn.LayerNorm;
  readonly decoderPred: nn.Linear;
  constructor(readonly config: ViTMAEConfig) {
    super();
    const dd = config.decoderHiddenSize;
    const lc = decoderLayerConfig(config);
    this.decoderEmbed = this.module("decoder_embed", new nn.Linear(config.hiddenSize, dd));
    this.maskToken = this.param("mask_token", zeros([1, 1, dd]));
    this.decoderPosEmbed = this.buffer(
      "decoder_pos_embed",
      sinCosPosEmbed2d(config.imageSize / config.patchSize, dd),
    );
    this.decoderLayers = this.module(
      "decoder_layers",
      new nn.ModuleList(Array.from({ length: config.decoderNumHiddenLayers }, () => new ViTLayer(lc))),
    );
    this.decoderNorm = this.module("decoder_norm", new nn.LayerNorm(dd, config.layerNormEps));
    this.decoderPred = this.module(
      "decoder_pred",
      new nn.Linear(dd, config.patchSize ** 2 * config.numChannels),
    );
  }
  /** latent (B, 1 + K, D), idsRestore (B, L) -> logits (B, L, p*p*C). */
  forward(latent: Tensor, idsRestore: Tensor): Tensor {
    return scope(() => {
      const x = this.decoderEmbed.forward(latent); // (B, 1 + K, Dd)
      const [b, t, dd] = x.shape;
      const l = idsRestore.size(1);
      const maskTokens = this.maskToken.expand(b, l + 1 - t, dd);
      const shuffled = cat([x.slice(1, 1), maskTokens], 1); // (B, L, Dd)
      const restored = shuffled.gather(1, idsRestore.unsqueeze(-1).expand(b, l, dd));
      const h = cat([x.slice(1, 0, 1), restored], 1).add(this.decoderPosEmbed); // (B, 1 + L, Dd)
      const { lastHiddenState } = runLayers(this.decoderLayers.items, h, false);
      return this.decoderPred.forward(this.decoderNorm.forward(lastHiddenState)).slice(1, 1);
    });
  }
}

export interface ViTMAEInput {
  /** (B, C, H, W). */
  pixelValues: Tensor;
  /** (B, L) uniform noise deciding which patches are kept (the lowest); random when absent. */
  noise?: Tensor;
  /** Overrides config.maskRatio for this call (0: every patch, in order). */
  maskRatio?: number;
  outputHiddenStates?: boolean;
}

export interface ViTMAEOutput {
  /** 0-d: mean over removed patches of the per-patch MSE (NaN when none is removed, as in HF). */
  loss: Tensor;
  /** (B, L, p*p*C) predicted patches (normalised per patch with norm-pix loss). */
  logits: Tensor;
  /** (B, L) float: 0 kept, 1 removed. */
  mask: Tensor;
  /** (B, L) int64. */
  idsRestore: Tensor;
  /** Encoder hidden states, HF numbering (0 = embeddings output). */
  hiddenStates?: Tensor[];
}

/** Maps on-disk key spellings hemoseg accepts to its own (transformers 5.x's decoder_encoder.layer.N). */
export function canonicalKey(key: string): string {
  return key.replace(/^decoder\.decoder_encoder\.layer\.(\d+)\./, "decoder.decoder_layers.$1.");
}

export class ViTMAEForPreTraining extends nn.Module {
  readonly vit: ViTMAEModel;
  readonly decoder: ViTMAEDecoder;

  constructor(
    readonly config: ViTMAEConfig,
    opts: ViTMAEOptions = {},
  ) {
    super();
    this.vit = this.module("vit", new ViTMAEModel(config));
    this.decoder = this.module("decoder", new ViTMAEDecoder(config));
    this.initWeights(opts.init ?? "xavier");
  }

  /** The original MAE's initialisation (sin-cos buffers are set at construction). */
  initWeights(linear: "xavier" | "normal"): void {
    const std = this.config.initializerRange;
    initViTWeights(this, linear, std);
    xavierUniform2d_(this.vit.embeddings.patchEmbeddings.projection.weight);
    nn.init.normal_(this.vit.embeddings.clsToken, 0, std);
    nn.init.normal_(this.decoder.maskToken, 0, std);
  }

  get numPatches(): number {
    return (this.config.imageSize / this.config.patchSize) ** 2;
  }

  /** (B, C, H, W) -> (B, L, p*p*C), each patch laid out (p, p, C) as HF and MAE do. */
  patchify(pixelValues: Tensor): Tensor {
    const { patchSize: p, numChannels: c } = this.config;
    const [b, ch, hh, ww] = pixelValues.shape;
    if (ch !== c || hh !== ww || hh % p !== 0) {
      throw new Error(
        `patchify: pixel values [${pixelValues.shape}] must be (B, ${c}, S, S) with S divisible by ${p}`,
      );
    }
    const g = hh / p;
    return scope(() =>
      pixelValues
        .reshape(b, c, g, p, g, p)
        .permute(0, 2, 4, 3, 5, 1) // (B, h, w, p, p, C)
        .reshape(b, g * g, p * p * c),
    );
  }

  /** (B, L, p*p*C) -> (B, C, H, W), the inverse of patchify. */
  unpatchify(patches: Tensor): Tensor {
    const { patchSize: p, numChannels: c } = this.config;
    const [b, l] = patches.shape;
    const g = Math.round(Math.sqrt(l));
    if (g * g !== l || patches.size(2) !== p * p * c) {
      throw new Error(`unpatchify: patches [${patches.shape}] must be (B, g*g, ${p * p * c})`);
    }
    return scope(() =>
      patches
        .reshape(b, g, g, p, p, c)
        .permute(0, 5, 1, 3, 2, 4) // (B, C, h, p, w, p)
        .reshape(b, c, g * p, g * p),
    );
  }

  /** Per-patch MSE averaged over removed patches; norm-pix targets use the unbiased variance. */
  forwardLoss(pixelValues: Tensor, logits: Tensor, mask: Tensor): Tensor {
    return scope(() => {
      let target = this.patchify(pixelValues); // (B, L, p*p*C)
      if (this.config.normPixLoss) {
        const mean = target.mean(-1, true);
        const v = target.var(-1, true, true);
        target = target.sub(mean).div(v.add(1e-6).sqrt());
      }
      const perPatch = logits.sub(target).square().mean(-1); // (B, L)
      return perPatch.mul(mask).sum().div(mask.sum());
    });
  }

  forward(input: ViTMAEInput): ViTMAEOutput {
    return scope(() => {
      const enc = this.vit.forward(input.pixelValues, {
        noise: input.noise,
        maskRatio: input.maskRatio,
        outputHiddenStates: input.outputHiddenStates,
      });
      const logits = this.decoder.forward(enc.lastHiddenState, enc.idsRestore);
      const loss = this.forwardLoss(input.pixelValues, logits, enc.mask);
      return { loss, logits, mask: enc.mask, idsRestore: enc.idsRestore, hiddenStates: enc.hiddenStates };
    });
  }

  /** Writes config.json and model.safetensors (HF's key names), each atomically. */
  savePretrained(dir: string): void {
    saveCheckpoint(dir, this, vitMaeConfigToHF(this.config));
  }

  /** Loads a hemoseg or Hugging Face ViTMAEForPreTraining directory; any missing, unexpected or mis-shaped key fails. */
  static fromPretrained(
    dir: string,
    opts: Pick<ViTMAEConfig, "attnImplementation"> = {},
  ): ViTMAEForPreTraining {
    const config = { ...loadViTMAEConfig(join(dir, CONFIG_FILE)), ...opts };
    const model = new ViTMAEForPreTraining(config);
    model.loadWeights(join(dir, WEIGHTS_FILE));
    return model;
  }

  /** Copies weights from a safetensors file, accepting transformers 5.x's decoder key names. */
  loadWeights(path: string): void {
    loadWeightsFile(this, path, canonicalKey);
  }
}
