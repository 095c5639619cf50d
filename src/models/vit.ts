// The Vision Transformer encoder of Hugging Face's `ViTModel` (no pooler), with HF's module names
// so state-dict keys match on disk: embeddings.{cls_token, position_embeddings,
// patch_embeddings.projection}, encoder.layer.N.{attention.attention.query/key/value,
// attention.output.dense, intermediate.dense, output.dense, layernorm_before, layernorm_after},
// layernorm. ViTLayer and ViTEncoder are shared with the ViTMAE encoder and decoder.
import { cat, F, nn, noGrad, scope, type Tensor, zeros } from "../torch/index.js";

export interface ViTConfig {
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  /** "gelu" is the exact erf form; "gelu_pytorch_tanh"/"gelu_new" the tanh one; "relu". */
  hiddenAct: string;
  layerNormEps: number;
  imageSize: number;
  patchSize: number;
  numChannels: number;
  qkvBias: boolean;
  initializerRange: number;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  /**
   * "sdpa" (default) uses fused attention where the libtorch has it; "eager" the explicit softmax
   * path. Not an HF config field; read at construction, switched later by setAttnImplementation.
   */
  attnImplementation?: "sdpa" | "eager";
}

/** What one transformer block needs from a config (the MAE decoder builds its own). */
export type ViTLayerConfig = Pick<
  ViTConfig,
  | "hiddenSize"
  | "numAttentionHeads"
  | "intermediateSize"
  | "hiddenAct"
  | "layerNormEps"
  | "qkvBias"
  | "hiddenDropoutProb"
  | "attentionProbsDropoutProb"
  | "attnImplementation"
>;

/** HF's ACT2FN for the activations ViT configs use. */
export function activation(name: string): (x: Tensor) => Tensor {
  if (name === "gelu") return (x) => F.gelu(x);
  if (name === "gelu_pytorch_tanh" || name === "gelu_new") return (x) => F.gelu(x, "tanh");
  if (name === "relu") return (x) => x.relu();
  throw new Error(`unsupported hidden_act '${name}' (expected gelu, gelu_new, gelu_pytorch_tanh or relu)`);
}

/** Conv with kernel = stride = patch: (B, C, H, W) -> (B, L, D), patches in row-major order. */
export class ViTPatchEmbeddings extends nn.Module {
  readonly projection: nn.Conv2d;
  readonly numPatches: number;
  constructor(readonly config: Pick<ViTConfig, "imageSize" | "patchSize" | "numChannels" | "hiddenSize">) {
    super();
    const { imageSize, patchSize, numChannels, hiddenSize } = config;
    if (imageSize % patchSize !== 0) {
      throw new Error(`patch_size ${patchSize} does not divide image_size ${imageSize}`);
    }
    this.numPatches = (imageSize / patchSize) ** 2;
    this.projection = this.module(
      "projection",
      new nn.Conv2d(numChannels, hiddenSize, patchSize, { stride: patchSize }),
    );
  }
  forward(pixelValues: Tensor): Tensor {
    const [, c, h, w] = pixelValues.shape;
    const { numChannels, imageSize } = this.config;
    if (pixelValues.ndim !== 4 || c !== numChannels || h !== imageSize || w !== imageSize) {
      throw new Error(
        `pixel values of shape [${pixelValues.shape}] do not match the model's (B, ${numChannels}, ${imageSize}, ${imageSize})`,
      );
    }
    return scope(() => this.projection.forward(pixelValues).flatten(2).transpose(1, 2)); // (B, L, D)
  }
}

/** Multi-head self-attention with query/key/value linears (HF's names), projected in one GEMM. */
export class ViTSelfAttention extends nn.Module {
  readonly query: nn.Linear;
  readonly key: nn.Linear;
  readonly value: nn.Linear;
  readonly heads: number;
  /** "eager" takes the explicit softmax path; see setAttnImplementation. */
  attnImplementation: "sdpa" | "eager";
  constructor(readonly config: ViTLayerConfig) {
    super();
    this.attnImplementation = config.attnImplementation ?? "sdpa";
    const d = config.hiddenSize;
    if (d % config.numAttentionHeads !== 0) {
      throw new Error(
        `hidden_size ${d} is not a multiple of num_attention_heads ${config.numAttentionHeads}`,
      );
    }
    this.heads = config.numAttentionHeads;
    this.query = this.module("query", new nn.Linear(d, d, config.qkvBias));
    this.key = this.module("key", new nn.Linear(d, d, config.qkvBias));
    this.value = this.module("value", new nn.Linear(d, d, config.qkvBias));
  }
  forward(x: Tensor): Tensor {
    return scope(() => {
      const [b, t, d] = x.shape;
      // One GEMM for the three projections: the weights stay query/key/value (HF's keys) and are
      // concatenated per call (3·D² floats, negligible beside the (B·T, D) x (D, 3D) product).
      const { query, key, value } = this;
      const bias = query.bias && key.bias && value.bias ? cat([query.bias, key.bias, value.bias]) : null;
      // q, k and v are split off the last dimension, then viewed per head: their gradients then
      // return through one cat; unbind on a (3, B, H, T, Dh) permute costs a stack into that
      // layout and made the attention backward 2-3x slower.
      const qkv = F.linear(x, cat([query.weight, key.weight, value.weight]), bias); // (B, T, 3D)
      const [q, k, v] = qkv.split(d, -1).map((m) => m.view(b, t, this.heads, d / this.heads).transpose(1, 2)); // (B, H, T, Dh)
      const p = this.training ? this.config.attentionProbsDropoutProb : 0;
      const ctx =
        this.attnImplementation === "eager"
          ? eagerAttention(q, k, v, p)
          : F.scaledDotProductAttention(q, k, v, { dropoutP: p });
      return ctx.transpose(1, 2).reshape(b, t, d); // (B, T, D)
    });
  }
}

/** Switches every attention block under root between fused ("sdpa") and explicit ("eager") attention. */
export function setAttnImplementation(root: nn.Module, impl: "sdpa" | "eager"): void {
  for (const [, m] of root.namedModules()) if (m instanceof ViTSelfAttention) m.attnImplementation = impl;
}

/** softmax(QK^T / sqrt(Dh)) V with dropout on the probabilities, as HF's eager attention. */
function eagerAttention(q: Tensor, k: Tensor, v: Tensor, dropoutP: number): Tensor {
  return scope(() => {
    const scores = q.matmul(k.transpose(-2, -1)).mul(q.size(-1) ** -0.5); // (B, H, T, T)
    const probs = F.dropout(scores.softmax(-1), dropoutP, dropoutP > 0);
    return probs.matmul(v);
  });
}

/** A Linear named `dense` followed by dropout (HF's ViTSelfOutput and ViTOutput). */
export class ViTDense extends nn.Module {
  readonly dense: nn.Linear;
  constructor(
    inFeatures: number,
    outFeatures: number,
    readonly dropoutP: number,
  ) {
    super();
    this.dense = this.module("dense", new nn.Linear(inFeatures, outFeatures));
  }
  forward(x: Tensor): Tensor {
    return scope(() => F.dropout(this.dense.forward(x), this.dropoutP, this.training && this.dropoutP > 0));
  }
}

export class ViTAttention extends nn.Module {
  readonly attention: ViTSelfAttention;
  readonly output: ViTDense;
  constructor(config: ViTLayerConfig) {
    super();
    this.attention = this.module("attention", new ViTSelfAttention(config));
    this.output = this.module(
      "output",
      new ViTDense(config.hiddenSize, config.hiddenSize, config.hiddenDropoutProb),
    );
  }
  forward(x: Tensor): Tensor {
    return scope(() => this.output.forward(this.attention.forward(x)));
  }
}

/** Pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x)). */
export class ViTLayer extends nn.Module {
  readonly attention: ViTAttention;
  readonly intermediate: ViTDense;
  readonly output: ViTDense;
  readonly layernormBefore: nn.LayerNorm;
  readonly layernormAfter: nn.LayerNorm;
  readonly act: (x: Tensor) => Tensor;
  constructor(config: ViTLayerConfig) {
    super();
    const d = config.hiddenSize;
    this.act = activation(config.hiddenAct);
    this.attention = this.module("attention", new ViTAttention(config));
    this.intermediate = this.module("intermediate", new ViTDense(d, config.intermediateSize, 0));
    this.output = this.module("output", new ViTDense(config.intermediateSize, d, config.hiddenDropoutProb));
    this.layernormBefore = this.module("layernorm_before", new nn.LayerNorm(d, config.layerNormEps));
    this.layernormAfter = this.module("layernorm_after", new nn.LayerNorm(d, config.layerNormEps));
  }
  forward(x: Tensor): Tensor {
    return scope(() => {
      const h = this.attention.forward(this.layernormBefore.forward(x)).add(x);
      const m = this.output.forward(this.act(this.intermediate.forward(this.layernormAfter.forward(h))));
      return m.add(h);
    });
  }
}

export interface EncoderOutput {
  lastHiddenState: Tensor;
  /** Input first, then each layer's output (HF numbering). */
  hiddenStates?: Tensor[];
}

/** HF's ViTEncoder: the blocks under `layer.N`. */
export class ViTEncoder extends nn.Module {
  readonly layer: nn.ModuleList<ViTLayer>;
  constructor(config: ViTLayerConfig, numLayers: number) {
    super();
    this.layer = this.module(
      "layer",
      new nn.ModuleList(Array.from({ length: numLayers }, () => new ViTLayer(config))),
    );
  }
  /** The input itself is hiddenStates[0] when asked for; later entries are new tensors. */
  forward(x: Tensor, outputHiddenStates = false): EncoderOutput {
    return runLayers(this.layer.items, x, outputHiddenStates);
  }
}

/** Runs layers in order, freeing each intermediate unless it is a requested hidden state. */
export function runLayers(layers: ViTLayer[], x: Tensor, outputHiddenStates: boolean): EncoderOutput {
  const hiddenStates = outputHiddenStates ? [x] : undefined;
  let h = x;
  for (const layer of layers) {
    const next = layer.forward(h);
    if (hiddenStates) hiddenStates.push(next);
    else if (h !== x) h.dispose();
    h = next;
  }
  return { lastHiddenState: h, hiddenStates };
}

/** CLS token, learned position embeddings and patch embeddings (HF's ViTEmbeddings). */
export class ViTEmbeddings extends nn.Module {
  readonly clsToken: Tensor; // (1, 1, D)
  readonly positionEmbeddings: Tensor; // (1, 1 + L, D)
  readonly patchEmbeddings: ViTPatchEmbeddings;
  constructor(readonly config: ViTConfig) {
    super();
    this.clsToken = this.param("cls_token", zeros([1, 1, config.hiddenSize]));
    this.patchEmbeddings = this.module("patch_embeddings", new ViTPatchEmbeddings(config));
    this.positionEmbeddings = this.param(
      "position_embeddings",
      zeros([1, this.patchEmbeddings.numPatches + 1, config.hiddenSize]),
    );
  }
  forward(pixelValues: Tensor): Tensor {
    return scope(() => {
      const patches = this.patchEmbeddings.forward(pixelValues); // (B, L, D)
      const cls = this.clsToken.expand(patches.size(0), -1, -1);
      const x = cat([cls, patches], 1).add(this.positionEmbeddings); // (B, 1 + L, D)
      const p = this.config.hiddenDropoutProb;
      return F.dropout(x, p, this.training && p > 0);
    });
  }
}

export interface ViTOutput {
  /** (B, 1 + L, D) after the final layernorm. */
  lastHiddenState: Tensor;
  /** numHiddenLayers + 1 entries: 0 = embeddings output, k = output of layer k (before the final layernorm). */
  hiddenStates?: Tensor[];
}

/** HF `ViTModel` without the pooler. */
export class ViTModel extends nn.Module {
  readonly embeddings: ViTEmbeddings;
  readonly encoder: ViTEncoder;
  readonly layernorm: nn.LayerNorm;
  constructor(readonly config: ViTConfig) {
    super();
    this.embeddings = this.module("embeddings", new ViTEmbeddings(config));
    this.encoder = this.module("encoder", new ViTEncoder(config, config.numHiddenLayers));
    this.layernorm = this.module("layernorm", new nn.LayerNorm(config.hiddenSize, config.layerNormEps));
    // HF's ViTPreTrainedModel._init_weights: trunc_normal(initializer_range) within +-2 (absolute).
    const std = config.initializerRange;
    initViTWeights(this, "trunc_normal", std);
    nn.init.truncNormal_(this.embeddings.clsToken, 0, std);
    nn.init.truncNormal_(this.embeddings.positionEmbeddings, 0, std);
  }
  forward(pixelValues: Tensor, opts: { outputHiddenStates?: boolean } = {}): ViTOutput {
    return scope(() => {
      const emb = this.embeddings.forward(pixelValues);
      const { lastHiddenState, hiddenStates } = this.encoder.forward(emb, opts.outputHiddenStates ?? false);
      return { lastHiddenState: this.layernorm.forward(lastHiddenState), hiddenStates };
    });
  }
}

/**
 * How Linear and Conv2d weights start: "xavier" (xavier_uniform, the original MAE's), "normal"
 * (HF ViTMAE's normal(std)) or "trunc_normal" (HF ViT's trunc_normal(std) within +-2).
 */
export type WeightInit = "xavier" | "normal" | "trunc_normal";

/**
 * Re-initialises every Linear and Conv2d (weights by `scheme`, biases zero) and LayerNorm (ones,
 * zeros) under root; tokens and position embeddings are each model's own business.
 */
export function initViTWeights(root: nn.Module, scheme: WeightInit, std: number): void {
  for (const [, m] of root.namedModules()) {
    if (m instanceof nn.Linear || m instanceof nn.Conv2d) {
      if (scheme === "xavier") nn.init.xavierUniform_(m.weight);
      else if (scheme === "normal") nn.init.normal_(m.weight, 0, std);
      else nn.init.truncNormal_(m.weight, 0, std);
      if (m.bias) nn.init.zeros_(m.bias);
    } else if (m instanceof nn.LayerNorm) {
      if (m.weight) nn.init.ones_(m.weight);
      if (m.bias) nn.init.zeros_(m.bias);
    }
  }
}

/** xavier_uniform on the weight viewed as (out, rest), as MAE initialises its patch conv like a Linear. */
export function xavierUniform2d_(w: Tensor): void {
  noGrad(() => {
    const flat = w.view(w.size(0), -1);
    nn.init.xavierUniform_(flat);
    flat.dispose();
  });
}
