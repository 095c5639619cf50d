// Reading a finished segmentation run: its settings (run.json) and a checkpoint as a model.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveDir } from "../io/atomic.js";
import { BasicUNet } from "../models/unet.js";
import { UNETR } from "../models/unetr.js";

export interface SegmentationRunInfo {
  command: "finetune" | "train-unet";
  data: string;
  classes: string[];
  stats: { mean: number[]; std: number[] };
  tile: number;
  channels: number;
  [k: string]: unknown;
}

export function readRunInfo(runDir: string): SegmentationRunInfo {
  const p = join(runDir, "run.json");
  if (!existsSync(p)) throw new Error(`${runDir}: not a hemoseg run directory (no run.json)`);
  const info = JSON.parse(readFileSync(p, "utf8")) as SegmentationRunInfo;
  if (info.command !== "finetune" && info.command !== "train-unet") {
    throw new Error(`${p}: a '${info.command}' run, not a segmentation run (finetune or train-unet)`);
  }
  return info;
}

/** Loads runDir/<which> (best or last) as the UNETR or U-Net its config.json names. */
export function loadSegmenter(runDir: string, which: "best" | "last" = "best"): UNETR | BasicUNet {
  const dir = resolveDir(join(runDir, which));
  if (!dir) throw new Error(`${runDir}: no ${which}/ checkpoint`);
  const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as { architecture?: string };
  if (cfg.architecture === "unetr") return UNETR.fromPretrained(dir);
  if (cfg.architecture === "basic_unet") return BasicUNet.fromPretrained(dir);
  throw new Error(`${join(dir, "config.json")}: unknown architecture '${cfg.architecture}'`);
}
