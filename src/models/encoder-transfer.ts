// Encoder transfer: fill a UNETR's ViT from the encoder of a pre-trained checkpoint directory
// (config.json + model.safetensors): a hemoseg or Hugging Face ViTMAEForPreTraining (keys vit.*,
// decoder ignored), a Hugging Face ViTModel (keys embeddings.*, encoder.*, layernorm.*) or
// ViTFor* model (vit.*), or another UNETR (its vit.*). The ViTMAE's fixed sin-cos position
// embeddings become the UNETR's learned ones. Architectures must agree; anything else is refused.
import { join } from "node:path";
import { type JsonObject, readJsonObject } from "../io/json.js";
import { loadSafetensors } from "../io/safetensors.js";
import { dispose, type Tensor } from "../torch/index.js";
import { architectureOf, CONFIG_FILE, checkpointFiles } from "./checkpoint-files.js";
import { parseViTConfig, parseViTMAEConfig } from "./hf-config.js";
import { sinCosPosEmbed2d } from "./pos-embed.js";
import { type UNETR, unetrConfigFromJson } from "./unetr.js";
import type { ViTConfig } from "./vit.js";

export type EncoderSource = "vit_mae" | "vit" | "unetr";

export interface EncoderLoadReport {
  dir: string;
  source: EncoderSource;
  /** UNETR keys (vit.*) copied from the checkpoint. */
  loaded: string[];
  /** UNETR encoder keys the checkpoint lacks: they keep their current values. */
  missing: string[];
  /** Checkpoint keys not used (the MAE decoder, a pooler, a classifier head...). */
  ignored: string[];
  /** UNETR keys computed rather than copied (ViTMAE sin-cos position embeddings for another grid). */
  generated: string[];
  /** Differences that do not stop the transfer but change numerics (e.g. layer-norm eps). */
  notes: string[];
}

/** The encoder's ViT config of each checkpoint kind that holds one, by its architecture name. */
const ENCODER_CONFIGS: Record<EncoderSource, (json: JsonObject, path: string) => ViTConfig> = {
  unetr: (json, path) => unetrConfigFromJson(json, path).vit,
  vit_mae: parseViTMAEConfig,
  vit: parseViTConfig,
};

interface SourceConfig {
  source: EncoderSource;
  vit: ViTConfig;
}

/** What kind of checkpoint dir holds, and its encoder's configuration. */
export function readEncoderConfig(dir: string): SourceConfig {
  const path = join(dir, CONFIG_FILE);
  const json = readJsonObject(path, "config");
  const source = architectureOf(json);
  if (typeof source === "string" && Object.hasOwn(ENCODER_CONFIGS, source))
    return { source: source as EncoderSource, vit: ENCODER_CONFIGS[source as EncoderSource](json, path) };
  throw new Error(
    `${path}: not an encoder checkpoint (model_type ${JSON.stringify(json.model_type)}; expected a "vit_mae" or "vit" config, or a hemoseg UNETR)`,
  );
}

/** The encoder's key (ViTModel naming, no prefix) for a checkpoint key, or null when it is not part of the encoder. */
function encoderKey(key: string, source: EncoderSource): string | null {
  const k = key.startsWith("vit.") ? key.slice(4) : source === "vit" ? key : null;
  if (k === null) return null;
  return /^(embeddings\.(cls_token|position_embeddings|patch_embeddings\.)|encoder\.layer\.|layernorm\.)/.test(
    k,
  )
    ? k
    : null;
}

/** Structural differences that make the checkpoint's encoder a different network. */
function mismatches(want: ViTConfig, got: ViTConfig): string[] {
  const fields: [keyof ViTConfig, string][] = [
    ["patchSize", "patch size"],
    ["hiddenSize", "hidden size"],
    ["numChannels", "channel count"],
    ["numHiddenLayers", "layer count"],
    ["numAttentionHeads", "attention head count"],
    ["intermediateSize", "intermediate size"],
    ["qkvBias", "qkv bias"],
    ["hiddenAct", "activation"],
  ];
  return fields
    .filter(([f]) => want[f] !== got[f])
    .map(([f, name]) => `${name}: checkpoint ${got[f]}, model ${want[f]}`);
}

/**
 * Copies the encoder of the checkpoint in dir into model.vit and reports what was loaded,
 * missing and ignored. Refuses (throws, naming the file) a checkpoint whose encoder differs in
 * patch size, hidden size, channel count or any other structural setting.
 */
export function loadEncoder(model: UNETR, dir: string): EncoderLoadReport {
  const { config: cfgPath, weights: weightsPath } = checkpointFiles(dir);
  const { source, vit } = readEncoderConfig(dir);
  const want = model.config.vit;
  const bad = mismatches(want, vit);
  if (bad.length) {
    throw new Error(`${cfgPath}: the checkpoint's encoder does not fit this UNETR:\n  ${bad.join("\n  ")}`);
  }
  const regrid = vit.imageSize !== want.imageSize;
  if (regrid && source !== "vit_mae") {
    throw new Error(
      `${cfgPath}: the encoder was trained on ${vit.imageSize} px images and this UNETR takes ${want.imageSize} px; its learned position embeddings do not transfer`,
    );
  }

  const report: EncoderLoadReport = {
    dir,
    source,
    loaded: [],
    missing: [],
    ignored: [],
    generated: [],
    notes: [],
  };
  if (vit.layerNormEps !== want.layerNormEps) {
    report.notes.push(
      `layer-norm eps: checkpoint ${vit.layerNormEps}, model ${want.layerNormEps} (the model's is kept)`,
    );
  }
  const own = model.vit.stateDict();
  const ckpt = loadSafetensors(weightsPath);
  const take: Record<string, Tensor> = {};
  try {
    for (const [key, t] of Object.entries(ckpt)) {
      const k = encoderKey(key, source);
      if (k === null || !(k in own) || (regrid && k === "embeddings.position_embeddings")) {
        report.ignored.push(key);
        continue;
      }
      if (t.shape.join() !== own[k].shape.join()) {
        throw new Error(
          `${weightsPath}: '${key}' has shape [${t.shape}] but the UNETR's 'vit.${k}' is [${own[k].shape}]`,
        );
      }
      take[k] = t;
    }
    if (regrid) {
      // ViTMAE's position embeddings are a fixed function of the grid: recompute them for this one.
      take["embeddings.position_embeddings"] = sinCosPosEmbed2d(
        want.imageSize / want.patchSize,
        want.hiddenSize,
      );
      report.generated.push("vit.embeddings.position_embeddings");
    }
    model.vit.loadStateDict(take, { strict: false });
  } finally {
    dispose([ckpt, take]);
  }
  for (const k of Object.keys(own)) {
    if (!(k in take)) report.missing.push(`vit.${k}`);
    else if (!report.generated.includes(`vit.${k}`)) report.loaded.push(`vit.${k}`);
  }
  return report;
}

/** A few lines for the console: counts, and the missing and ignored keys by name (ignored ones grouped). */
export function formatEncoderReport(r: EncoderLoadReport): string {
  const groups = new Map<string, number>();
  for (const k of r.ignored) {
    const g = k.split(".").slice(0, 2).join(".");
    groups.set(g, (groups.get(g) ?? 0) + 1);
  }
  const lines = [
    `encoder from ${r.dir} (${r.source}): ${r.loaded.length} tensors loaded, ${r.missing.length} missing, ${r.ignored.length} ignored`,
  ];
  if (r.generated.length) lines.push(`  computed for this image size: ${r.generated.join(", ")}`);
  for (const k of r.missing) lines.push(`  missing (left as initialised): ${k}`);
  for (const [g, n] of groups) lines.push(`  ignored: ${g}.* (${n})`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return lines.join("\n");
}

/** Stops (or restarts) gradient flow into every encoder parameter; returns how many tensors changed. */
export function freezeEncoder(model: UNETR, frozen = true): number {
  let n = 0;
  for (const p of model.vit.parameters()) {
    if (p.requiresGrad === frozen) n++;
    p.requiresGrad_(!frozen);
  }
  return n;
}
