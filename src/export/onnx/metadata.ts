// What an exported hemoseg ONNX model says about itself (its metadata_props), and reading it back.
// Torch-free: the ONNX inference path and the browser app read it without libtorch.
//
// Keys (all strings; lists and numbers as JSON):
//   hemoseg.format   "hemoseg-onnx/1"
//   architecture     "unetr" | "basic_unet" | "vit"
//   task             "segmentation" (output: logits (batch, classes, tile, tile))
//                    | "features" (output: last_hidden_state (batch, 1 + L, hidden))
//   input, output    the graph's input and output names ("pixel_values"; "logits" or "last_hidden_state")
//   channels, tile_size, patch_size (UNETR and ViT)
//   class_names      JSON list, index = class (segmentation only)
//   mean, std        JSON lists, one per channel: feed (x - mean) / std; std is already 1 where the
//                    training split's was 0 (a constant channel is only centred)
//   source_run, checkpoint
import { readFileSync } from "node:fs";
import onnxProto from "onnx-proto";

export const ONNX_FORMAT = "hemoseg-onnx/1";

export interface OnnxModelMeta {
  architecture: "unetr" | "basic_unet" | "vit";
  task: "segmentation" | "features";
  input: string;
  output: string;
  channels: number;
  tile: number;
  patchSize?: number;
  classes?: string[];
  mean: number[];
  /** Divisors: the training std with zeros replaced by 1. */
  std: number[];
  sourceRun?: string;
  checkpoint?: string;
}

/** Training std with zeros replaced by 1: what the loader and predict divide by. */
export const safeStd = (std: number[]): number[] => std.map((v) => (v > 0 ? v : 1));

export function metadataProps(m: OnnxModelMeta): Record<string, string> {
  const props: Record<string, string> = {
    "hemoseg.format": ONNX_FORMAT,
    architecture: m.architecture,
    task: m.task,
    input: m.input,
    output: m.output,
    channels: String(m.channels),
    tile_size: String(m.tile),
    mean: JSON.stringify(m.mean),
    std: JSON.stringify(m.std),
  };
  if (m.patchSize !== undefined) props.patch_size = String(m.patchSize);
  if (m.classes) props.class_names = JSON.stringify(m.classes);
  if (m.sourceRun) props.source_run = m.sourceRun;
  if (m.checkpoint) props.checkpoint = m.checkpoint;
  return props;
}

/** Validates metadata_props read from `file`; every problem names the file and the key. */
export function parseMetadataProps(props: Record<string, string>, file: string): OnnxModelMeta {
  const bad = (k: string, why: string): never => {
    throw new Error(`${file}: metadata '${k}' ${why}`);
  };
  if (props["hemoseg.format"] !== ONNX_FORMAT) {
    throw new Error(
      `${file}: not a hemoseg ONNX export (metadata 'hemoseg.format' is ${JSON.stringify(props["hemoseg.format"] ?? null)}, expected '${ONNX_FORMAT}'); export one with hemoseg export --onnx`,
    );
  }
  const str = (k: string) => props[k] ?? bad(k, "is missing");
  const int = (k: string) => {
    const v = Number(str(k));
    return Number.isInteger(v) && v > 0 ? v : bad(k, `must be a positive integer, got '${props[k]}'`);
  };
  const json = (k: string) => {
    try {
      return JSON.parse(str(k)) as unknown;
    } catch {
      return bad(k, "is not valid JSON");
    }
  };
  const architecture = str("architecture");
  if (architecture !== "unetr" && architecture !== "basic_unet" && architecture !== "vit")
    bad("architecture", `is '${architecture}' (expected unetr, basic_unet or vit)`);
  const task = str("task");
  if (task !== "segmentation" && task !== "features")
    bad("task", `is '${task}' (expected segmentation or features)`);
  const channels = int("channels");
  const numbers = (k: string) => {
    const v = json(k);
    if (
      !Array.isArray(v) ||
      v.length !== channels ||
      !v.every((x) => typeof x === "number" && Number.isFinite(x))
    )
      bad(k, `must be ${channels} finite numbers (one per channel)`);
    return v as number[];
  };
  const std = numbers("std");
  if (std.some((v) => !(v > 0))) bad("std", "must be positive (divisors)");
  const meta: OnnxModelMeta = {
    architecture: architecture as OnnxModelMeta["architecture"],
    task: task as OnnxModelMeta["task"],
    input: str("input"),
    output: str("output"),
    channels,
    tile: int("tile_size"),
    mean: numbers("mean"),
    std,
  };
  if (props.patch_size !== undefined) meta.patchSize = int("patch_size");
  if (task === "segmentation") {
    const c = json("class_names");
    if (!Array.isArray(c) || c.length === 0 || !c.every((x) => typeof x === "string"))
      bad("class_names", "must be a non-empty list of names");
    meta.classes = c as string[];
  }
  if (props.source_run) meta.sourceRun = props.source_run;
  if (props.checkpoint) meta.checkpoint = props.checkpoint;
  return meta;
}

/** The metadata_props of an ONNX model's bytes, as a plain object. */
export function readMetadataProps(bytes: Uint8Array, file: string): Record<string, string> {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnxProto.onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(`${file}: not an ONNX model (${(e as Error).message})`);
  }
  if (!model.graph) throw new Error(`${file}: not an ONNX model (no graph)`);
  return Object.fromEntries(model.metadataProps.map((p) => [p.key ?? "", p.value ?? ""]));
}

/** Reads and validates the hemoseg metadata of an .onnx file. */
export function readOnnxMeta(file: string): OnnxModelMeta {
  return parseMetadataProps(readMetadataProps(readFileSync(file), file), file);
}
