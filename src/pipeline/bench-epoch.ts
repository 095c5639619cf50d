// End-to-end epoch benchmark: one training epoch of hemoseg's own pipeline (loader, training loop,
// optimiser) on a dataset directory — pre-training, UNETR fine-tuning or U-Net — beside the same
// epoch as a plain PyTorch loop over the same directory (bench/epoch_torch.py), in alternating rounds.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDataset } from "../data/dataset.js";
import { UsageError } from "../errors.js";
import { vitConfigToHF, vitMaeConfigToHF } from "../models/hf-config.js";
import { type PresetName, presetConfig } from "../models/presets.js";
import { getNumThreads } from "../torch/index.js";
import { FINETUNE_DEFAULTS, finetune } from "../train/finetune.js";
import { PhaseTimer } from "../train/phases.js";
import { PRETRAIN_DEFAULTS, pretrain } from "../train/pretrain.js";
import { alternate, runTorchSpec, summarise } from "./bench-torch.js";

export type EpochTask = "mae" | "unetr" | "unet";

export interface EpochBenchOptions {
  task: EpochTask;
  /** A dataset directory: a pretrain set for mae, a segmentation set for unetr and unet. */
  data: string;
  model: PresetName;
  patch: number;
  batch: number;
  featureSize: number;
  tile: number;
  /** Cap on steps per epoch (0: the whole training split). */
  maxSteps: number;
  rounds: number;
  seed: number;
  /** PyTorch variants to run beside hemoseg (none: hemoseg alone). */
  pytorch: string[];
  /** Time hemoseg's training-loop phases over all rounds (bench epoch --profile). */
  profile?: boolean;
}

export const PYTORCH_VARIANTS: Record<EpochTask, string[]> = {
  mae: ["mae-hf", "mae-plain"],
  unetr: ["unetr-hf", "unetr-plain"],
  unet: ["unet"],
};

/** Training images/s of one hemoseg epoch: pretrain or finetune with epochs 1 into a scratch dir. */
export async function hemosegEpoch(o: EpochBenchOptions, phases?: PhaseTimer): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), "hemoseg-epoch-"));
  try {
    if (o.task === "mae") {
      await pretrain({
        ...PRETRAIN_DEFAULTS,
        data: o.data,
        out,
        model: o.model,
        patch: o.patch,
        tile: o.tile,
        epochs: 1,
        batchTiles: o.batch,
        maxSteps: o.maxSteps,
        seed: o.seed,
        phases,
      });
      const rec = JSON.parse(readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n")[0]);
      return rec.images_per_s;
    }
    const r = await finetune({
      ...FINETUNE_DEFAULTS,
      data: o.data,
      out,
      arch: o.task,
      model: o.model,
      patch: o.patch,
      featureSize: o.featureSize,
      epochs: 1,
      batchSize: o.batch,
      maxSteps: o.maxSteps,
      seed: o.seed,
      quiet: true,
      phases,
    });
    return r.history[0].images_per_s;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The spec bench/epoch_torch.py needs for the same epoch. */
export function torchEpochSpec(o: EpochBenchOptions, variant: string): Record<string, unknown> {
  const ds = openDataset(o.data);
  const { channels, classes, kind } = ds.meta;
  ds.close();
  const wantKind = o.task === "mae" ? "pretrain" : "segmentation";
  if (o.task !== "mae" && kind !== wantKind)
    throw new UsageError(`${o.data}: a ${o.task} epoch needs a segmentation dataset, this one is '${kind}'`);
  const tile = o.task === "mae" ? o.tile : ds.meta.height;
  const cfg = presetConfig(o.model, { patchSize: o.patch, numChannels: channels, imageSize: tile });
  const mae = o.task === "mae";
  return {
    variant,
    mode: "epoch",
    data: o.data,
    tile,
    batch: o.batch,
    max_steps: o.maxSteps,
    threads: getNumThreads(),
    seed: o.seed,
    lr: mae ? PRETRAIN_DEFAULTS.lr : FINETUNE_DEFAULTS.lr,
    betas: mae ? PRETRAIN_DEFAULTS.betas : FINETUNE_DEFAULTS.betas,
    config: mae ? vitMaeConfigToHF(cfg) : vitConfigToHF(cfg),
    classes: classes.length,
    feature_size: o.featureSize,
  };
}

/** Alternating rounds of hemoseg's epoch and each PyTorch variant's; training images/s. */
export async function benchEpoch(
  o: EpochBenchOptions,
  onRun?: (name: string, round: number, imagesPerS: number) => void,
): Promise<Record<string, unknown>> {
  const got: Record<string, number[]> = { hemoseg: [], ...Object.fromEntries(o.pytorch.map((v) => [v, []])) };
  const phases = o.profile ? new PhaseTimer() : undefined;
  const specs = Object.fromEntries(o.pytorch.map((v) => [v, torchEpochSpec(o, v)]));
  for (let r = 0; r < o.rounds; r++) {
    const ours = await hemosegEpoch(o, phases);
    got.hemoseg.push(ours);
    onRun?.("hemoseg", r, ours);
    const theirs = alternate(
      Object.fromEntries(o.pytorch.map((v) => [v, () => runTorchSpec(specs[v]).images_per_s])),
      1,
      (name, _r, v) => onRun?.(name, r, v),
    );
    for (const [k, v] of Object.entries(theirs)) got[k].push(v[0]);
  }
  const res: Record<string, unknown> = {
    task: o.task,
    threads: getNumThreads(),
    images_per_s: summarise(got),
  };
  if (phases) res.profile = profileOf(phases);
  return res;
}

/**
 * The phases' seconds and shares of the training epoch, with what no timer covers split into the
 * step's remainder (scope disposal, JS between ops) and the epoch's (progress, loop, schedule).
 */
export function profileOf(p: PhaseTimer): Record<string, unknown> {
  const ms = (k: string) => p.ms.get(k) ?? 0;
  const inStep = ["forward", "backward", "optimizer", "loss read-back"].reduce((a, k) => a + ms(k), 0);
  p.add("step remainder (scope disposal, JS)", ms("step (all)") - inStep);
  p.add("epoch remainder (loop, progress)", ms("train epoch (all)") - ms("step (all)") - ms("data"));
  return p.report("train epoch (all)");
}
