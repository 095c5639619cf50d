// Exporting hemoseg models to ONNX: a UNETR or U-Net segmenter (logits), or a ViT encoder alone
// (features), from a model in memory or from a run directory's checkpoint.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { resolveDir, writeFileAtomic } from "../../io/atomic.js";
import { Fields, readJsonObject } from "../../io/json.js";
import { loadEncoder, readEncoderConfig } from "../../models/encoder-transfer.js";
import type { BasicUNet } from "../../models/unet.js";
import { UNETR } from "../../models/unetr.js";
import type { ViTModel } from "../../models/vit.js";
import { loadSegmenter, type RunInfo, readAnyRunInfo, readRunInfo } from "../../train/run-info.js";
import { Emitter } from "./layers.js";
import { metadataProps, type OnnxModelMeta, safeStd } from "./metadata.js";
import { basicUNet, unetr, vitModel } from "./models.js";

export const INPUT_NAME = "pixel_values";
export const BATCH_DIM = "batch";

export interface Normalisation {
  mean: number[];
  /** The training split's std (zeros are replaced by 1 in the metadata). */
  std: number[];
}

export interface OnnxExport {
  bytes: Uint8Array;
  meta: OnnxModelMeta;
  nodes: number;
}

function checkStats(s: Normalisation, channels: number, where: string): void {
  if (s.mean.length !== channels || s.std.length !== channels)
    throw new Error(`${where}: ${channels} channels but statistics for ${s.mean.length}/${s.std.length}`);
}

function finish(e: Emitter, meta: OnnxModelMeta, name: string): OnnxExport {
  const bytes = e.toModel({
    name,
    metadata: metadataProps(meta),
    docString: `hemoseg ${meta.architecture} (${meta.task}); input ${meta.input} (batch, ${meta.channels}, ${meta.tile}, ${meta.tile}) normalised per channel with the metadata's mean/std`,
  });
  return { bytes, meta, nodes: e.nodeCount };
}

/** A segmenter (UNETR or BasicUNet) as ONNX: pixel_values (batch, C, T, T) -> logits (batch, K, T, T). */
export function segmenterToOnnx(
  model: UNETR | BasicUNet,
  o: Normalisation & { classes: string[]; tile: number; sourceRun?: string; checkpoint?: string },
): OnnxExport {
  const isUnetr = model instanceof UNETR;
  const C = isUnetr ? model.config.vit.numChannels : model.config.inChannels;
  const K = model.config.outChannels;
  const T = o.tile;
  if (isUnetr && model.config.vit.imageSize !== T)
    throw new Error(`ONNX export: the UNETR takes ${model.config.vit.imageSize} px tiles, not ${T}`);
  if (o.classes.length !== K)
    throw new Error(`ONNX export: ${o.classes.length} class names for ${K} outputs`);
  checkStats(o, C, "ONNX export");
  const e = new Emitter(model);
  const x = e.input(INPUT_NAME, [BATCH_DIM, C, T, T]);
  const logits = isUnetr ? unetr(e, model, x) : basicUNet(e, model, x, T);
  e.output(logits, "logits", [BATCH_DIM, K, T, T]);
  const meta: OnnxModelMeta = {
    architecture: isUnetr ? "unetr" : "basic_unet",
    task: "segmentation",
    input: INPUT_NAME,
    output: "logits",
    channels: C,
    tile: T,
    ...(isUnetr ? { patchSize: model.config.vit.patchSize } : {}),
    classes: o.classes,
    mean: o.mean,
    std: safeStd(o.std),
    sourceRun: o.sourceRun,
    checkpoint: o.checkpoint,
  };
  return finish(e, meta, isUnetr ? "hemoseg_unetr" : "hemoseg_basic_unet");
}

/** A ViT encoder alone as ONNX: pixel_values (batch, C, S, S) -> last_hidden_state (batch, 1 + L, D). */
export function encoderToOnnx(
  vit: ViTModel,
  o: Normalisation & { sourceRun?: string; checkpoint?: string },
): OnnxExport {
  const { numChannels: C, imageSize: S, patchSize: p, hiddenSize: D } = vit.config;
  checkStats(o, C, "ONNX export");
  const e = new Emitter(vit);
  const x = e.input(INPUT_NAME, [BATCH_DIM, C, S, S]);
  const { last } = vitModel(e, vit, x);
  e.output(last, "last_hidden_state", [BATCH_DIM, 1 + (S / p) ** 2, D]);
  const meta: OnnxModelMeta = {
    architecture: "vit",
    task: "features",
    input: INPUT_NAME,
    output: "last_hidden_state",
    channels: C,
    tile: S,
    patchSize: p,
    mean: o.mean,
    std: safeStd(o.std),
    sourceRun: o.sourceRun,
    checkpoint: o.checkpoint,
  };
  return finish(e, meta, "hemoseg_vit_encoder");
}

export type ExportWhat = "model" | "encoder";

export interface ExportRunOptions {
  run: string;
  which?: "best" | "last";
  /** The whole segmenter (default), or its ViT encoder alone. */
  what?: ExportWhat;
}

/** A pre-training run keeps no statistics of its own: take its dataset's. */
function datasetStats(run: string, info: RunInfo): Normalisation {
  const p = info.data ? join(info.data, "dataset.json") : "";
  if (!p || !existsSync(p)) {
    throw new Error(
      `${run}/run.json: the per-channel statistics come from the pre-training dataset, and ${p || "its path"} is not there`,
    );
  }
  // Only the statistics matter here: read them through the one JSON checker.
  const f = new Fields(readJsonObject(p, "dataset.json"));
  const stats = f.object("stats");
  const mean = stats?.nums("mean");
  const std = stats?.nums("std", Array.isArray(mean) ? mean.length : undefined);
  f.fail(p, "dataset.json");
  return { mean: mean!, std: std! };
}

/** Exports a run's best (or last) checkpoint: a finetune/train-unet run's segmenter, or any run's ViT encoder. */
export function exportRun(o: ExportRunOptions): OnnxExport {
  const which = o.which ?? "best";
  const info = readAnyRunInfo(o.run);
  const provenance = { sourceRun: o.run, checkpoint: which };
  if (info.command === "pretrain") {
    if (o.what !== "encoder")
      throw new Error(`${o.run}: a pre-training run; only its encoder exports (--what encoder)`);
    const dir = resolveDir(join(o.run, which));
    if (!dir) throw new Error(`${o.run}: no ${which}/ checkpoint`);
    const { vit } = readEncoderConfig(dir);
    const holder = UNETR.create(vit, { outChannels: 1, featureSize: 1 });
    try {
      const report = loadEncoder(holder, dir);
      if (report.missing.length) throw new Error(`${dir}: the encoder lacks ${report.missing.join(", ")}`);
      holder.eval();
      return encoderToOnnx(holder.vit, { ...datasetStats(o.run, info), ...provenance });
    } finally {
      holder.dispose();
    }
  }
  const seg = readRunInfo(o.run); // classes, stats, tile and data, checked
  const model = loadSegmenter(o.run, which);
  try {
    model.eval();
    if (o.what === "encoder") {
      if (!(model instanceof UNETR)) throw new Error(`${o.run}: a U-Net has no ViT encoder to export`);
      return encoderToOnnx(model.vit, { ...seg.stats, ...provenance });
    }
    return segmenterToOnnx(model, { ...seg.stats, classes: seg.classes, tile: seg.tile, ...provenance });
  } finally {
    model.dispose();
  }
}

/** exportRun, written atomically to file. */
export function exportRunToFile(o: ExportRunOptions & { onnx: string }): OnnxExport {
  const r = exportRun(o);
  writeFileAtomic(o.onnx, r.bytes);
  return r;
}
