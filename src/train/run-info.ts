// A segmentation run's settings (run.json, written by finetune / train-unet) and its checkpoints.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { resolveDir } from "../io/atomic.js";
import { Fields, readJsonObject, writeJson } from "../io/json.js";
import { loadSegmenterDir, type SegmentationModel } from "../models/registry.js";

export const RUN_FILE = "run.json";

/** What every run.json holds: the command that wrote it, and that command's options. */
export interface RunInfo {
  command: "pretrain" | "finetune" | "train-unet";
  data: string;
  [k: string]: unknown;
}

/** A finetune / train-unet run.json: the options plus what prediction needs of the training data. */
export interface SegmentationRunInfo extends RunInfo {
  command: "finetune" | "train-unet";
  classes: string[];
  stats: { mean: number[]; std: number[] };
  tile: number;
  channels: number;
}

/** Writes runDir/run.json. */
export function writeRunInfo(runDir: string, info: RunInfo): void {
  writeJson(join(runDir, RUN_FILE), info);
}

/** runDir/run.json of any run (pre-training too), with its command checked. */
export function readAnyRunInfo(runDir: string): RunInfo {
  const p = join(runDir, RUN_FILE);
  if (!existsSync(p)) throw new Error(`${runDir}: not a hemoseg run directory (no run.json)`);
  const f = new Fields(readJsonObject(p));
  f.str("command", ["pretrain", "finetune", "train-unet"]);
  if (f.json.data !== undefined) f.text("data");
  f.fail(p, "run.json");
  return f.json as RunInfo;
}

/** runDir/run.json of a segmentation run, checked: errors name the file and every bad field. */
export function readRunInfo(runDir: string): SegmentationRunInfo {
  const p = join(runDir, RUN_FILE);
  const info = readAnyRunInfo(runDir);
  if (info.command !== "finetune" && info.command !== "train-unet") {
    throw new Error(`${p}: a '${info.command}' run, not a segmentation run (finetune or train-unet)`);
  }
  const f = new Fields(info);
  f.text("data");
  const channels = f.int("channels");
  f.texts("classes");
  f.int("tile");
  const stats = f.object("stats");
  stats?.nums("mean", channels);
  stats?.nums("std", channels);
  f.fail(p, "run.json");
  return info as SegmentationRunInfo;
}

/** Loads runDir/<which> (best or last) as the UNETR or U-Net its config.json names. */
export function loadSegmenter(runDir: string, which: "best" | "last" = "best"): SegmentationModel {
  const dir = resolveDir(join(runDir, which));
  if (!dir) throw new Error(`${runDir}: no ${which}/ checkpoint`);
  return loadSegmenterDir(dir);
}
