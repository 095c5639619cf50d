// Hugging Face config.json (snake_case) <-> hemoseg's camelCase configs for the "vit" and
// "vit_mae" model types. Reading validates every field and names the file and the field at fault;
// fields HF itself defaults may be absent and take HF's defaults.
import { Fields, type JsonObject, readJsonObject } from "../io/json.js";
import type { ViTConfig } from "./vit.js";
import type { ViTMAEConfig } from "./vitmae.js";

type Json = JsonObject;

const ACTS = ["gelu", "gelu_new", "gelu_pytorch_tanh", "relu"];

/** What each kind of checkpoint holds and which command writes it, for messages. */
const KINDS: Record<string, string> = {
  vit_mae: "a ViTMAE (pretrain run)",
  vit: "a ViT encoder",
  unetr: "a UNETR segmenter (finetune run)",
  basic_unet: "a U-Net segmenter (train-unet run)",
};

/** A config of another kind of model fails at once, saying what it is rather than what it lacks. */
function checkModelType(f: Fields, expected: string, where: string): void {
  const t = f.json.model_type;
  if (t === expected) return;
  const arch = f.json.architecture;
  const found = typeof arch === "string" ? arch : typeof t === "string" ? t : undefined;
  if (found !== undefined)
    throw new Error(
      `${where}: holds ${KINDS[found] ?? `a '${found}' model`}, not ${KINDS[expected] ?? `a '${expected}' model`}`,
    );
  f.problems.push(`'model_type' must be "${expected}", got ${JSON.stringify(t)}`);
}

function readViTFields(f: Fields, layerNormEpsDefault: number): ViTConfig {
  const c: ViTConfig = {
    hiddenSize: f.int("hidden_size"),
    numHiddenLayers: f.int("num_hidden_layers"),
    numAttentionHeads: f.int("num_attention_heads"),
    intermediateSize: f.int("intermediate_size"),
    hiddenAct: f.str("hidden_act", ACTS, "gelu"),
    layerNormEps: f.num("layer_norm_eps", layerNormEpsDefault, 0, 1),
    imageSize: f.int("image_size"),
    patchSize: f.int("patch_size"),
    numChannels: f.int("num_channels"),
    qkvBias: f.bool("qkv_bias", true),
    initializerRange: f.num("initializer_range", 0.02, 0, 10),
    hiddenDropoutProb: f.num("hidden_dropout_prob", 0, 0, 1, true),
    attentionProbsDropoutProb: f.num("attention_probs_dropout_prob", 0, 0, 1, true),
  };
  if (Number.isInteger(c.imageSize) && Number.isInteger(c.patchSize) && c.imageSize % c.patchSize !== 0) {
    f.problems.push(`'patch_size' ${c.patchSize} does not divide 'image_size' ${c.imageSize}`);
  }
  if (
    Number.isInteger(c.hiddenSize) &&
    Number.isInteger(c.numAttentionHeads) &&
    c.hiddenSize % c.numAttentionHeads
  ) {
    f.problems.push(
      `'hidden_size' ${c.hiddenSize} is not a multiple of 'num_attention_heads' ${c.numAttentionHeads}`,
    );
  }
  return c;
}

/** A "vit" config object (e.g. config.json, or the "vit" entry of a UNETR config); `where` names it in errors. */
export function parseViTConfig(json: Json, where: string): ViTConfig {
  const f = new Fields(json);
  checkModelType(f, "vit", where);
  const c = readViTFields(f, 1e-12);
  f.fail(where);
  return c;
}

export function parseViTMAEConfig(json: Json, where: string): ViTMAEConfig {
  const f = new Fields(json);
  checkModelType(f, "vit_mae", where);
  const c: ViTMAEConfig = {
    ...readViTFields(f, 1e-12),
    decoderHiddenSize: f.int("decoder_hidden_size"),
    decoderNumHiddenLayers: f.int("decoder_num_hidden_layers"),
    decoderNumAttentionHeads: f.int("decoder_num_attention_heads"),
    decoderIntermediateSize: f.int("decoder_intermediate_size"),
    maskRatio: f.num("mask_ratio", 0.75, 0, 1, true),
    normPixLoss: f.bool("norm_pix_loss", false),
  };
  for (const [key, d] of [
    ["hidden_size", c.hiddenSize],
    ["decoder_hidden_size", c.decoderHiddenSize],
  ] as const) {
    if (Number.isInteger(d) && d % 4)
      f.problems.push(`'${key}' ${d} must be divisible by 4 (2-D sin-cos position embeddings)`);
  }
  if (
    Number.isInteger(c.decoderHiddenSize) &&
    Number.isInteger(c.decoderNumAttentionHeads) &&
    c.decoderHiddenSize % c.decoderNumAttentionHeads
  ) {
    f.problems.push(
      `'decoder_hidden_size' ${c.decoderHiddenSize} is not a multiple of 'decoder_num_attention_heads' ${c.decoderNumAttentionHeads}`,
    );
  }
  f.fail(where);
  return c;
}

export const loadViTConfig = (path: string): ViTConfig =>
  parseViTConfig(readJsonObject(path, "config"), path);
export const loadViTMAEConfig = (path: string): ViTMAEConfig =>
  parseViTMAEConfig(readJsonObject(path, "config"), path);

function vitFieldsToHF(c: ViTConfig): Json {
  return {
    attention_probs_dropout_prob: c.attentionProbsDropoutProb,
    hidden_act: c.hiddenAct,
    hidden_dropout_prob: c.hiddenDropoutProb,
    hidden_size: c.hiddenSize,
    image_size: c.imageSize,
    initializer_range: c.initializerRange,
    intermediate_size: c.intermediateSize,
    layer_norm_eps: c.layerNormEps,
    num_attention_heads: c.numAttentionHeads,
    num_channels: c.numChannels,
    num_hidden_layers: c.numHiddenLayers,
    patch_size: c.patchSize,
    qkv_bias: c.qkvBias,
  };
}

/** The config.json HF writes for a ViTModel (encoder_stride and pooler fields at HF's defaults: hemoseg uses neither). */
export function vitConfigToHF(c: ViTConfig): Json {
  return {
    architectures: ["ViTModel"],
    model_type: "vit",
    ...vitFieldsToHF(c),
    encoder_stride: 16,
    pooler_act: "tanh",
    pooler_output_size: c.hiddenSize,
    dtype: "float32",
  };
}

export function vitMaeConfigToHF(c: ViTMAEConfig): Json {
  return {
    architectures: ["ViTMAEForPreTraining"],
    model_type: "vit_mae",
    ...vitFieldsToHF(c),
    decoder_hidden_size: c.decoderHiddenSize,
    decoder_intermediate_size: c.decoderIntermediateSize,
    decoder_num_attention_heads: c.decoderNumAttentionHeads,
    decoder_num_hidden_layers: c.decoderNumHiddenLayers,
    mask_ratio: c.maskRatio,
    norm_pix_loss: c.normPixLoss,
    dtype: "float32",
  };
}
