// ViTMAE pre-training on a dataset directory (the seed paper's §4.4 recipe by default).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { openDataset } from "../data/dataset.js";
import { disposeBatch, type TileBatch, TileLoader } from "../data/loader.js";
import { jsonFile } from "../io/json.js";
import { type PresetName, presetConfig } from "../models/presets.js";
import { ViTMAEForPreTraining } from "../models/vitmae.js";
import { autocast, manualSeed, noGrad, optim, rand, scope, type Tensor } from "../torch/index.js";
import { capped, tileTask } from "./batches.js";
import type { DataParallel } from "./data-parallel.js";
import type { PhaseTimer } from "./phases.js";
import { Progress } from "./progress.js";
import { writeRunInfo } from "./run-info.js";
import { epochSchedule, meanLoss, SILENT, trainLoop } from "./trainer.js";
import { trainingRun } from "./training-run.js";

export interface PretrainOptions {
  data: string;
  out: string;
  model: PresetName;
  patch: number;
  maskRatio: number;
  normPixLoss: boolean;
  epochs: number;
  /** Tiles per step (the paper: 16 stacks = 256 tiles). */
  batchTiles: number;
  /** Learning rate (ignored when blr is set). */
  lr: number;
  /** Base learning rate: lr = blr x batchTiles / 256, MAE's scaling rule (unset: lr applies). */
  blr?: number;
  /** "adam" (the paper: L2 weight decay in the gradient) or "adamw" (decoupled weight decay). */
  optimizer?: PretrainOptimizer;
  betas: [number, number];
  /** Unset: 0 with Adam (the paper), 0.05 with AdamW (MAE's usual value). */
  weightDecay?: number;
  /** Maximum global L2 norm of the gradients of a step (0 or unset: no clipping). */
  clipGrad?: number;
  /** Linear warm-up epochs before a cosine decay; 0 with cosine off keeps lr constant (the paper). */
  warmupEpochs: number;
  cosine: boolean;
  tile: number;
  seed: number;
  device: "cpu" | "cuda";
  bf16: boolean;
  resume: boolean;
  /** Replace a run already in `out` (without it, an existing run is refused unless resumed). */
  overwrite?: boolean;
  workers: number;
  /** Cap on training steps per epoch (0: the whole split), for quick runs. */
  maxSteps: number;
  /** Wall time per training-loop phase is added here when given (bench epoch --profile). */
  phases?: PhaseTimer;
}

export type PretrainOptimizer = "adam" | "adamw";
export const PRETRAIN_OPTIMIZERS: readonly PretrainOptimizer[] = ["adam", "adamw"];
/** AdamW's weight decay when none is given (MAE pre-trains with 0.05). */
export const ADAMW_WEIGHT_DECAY = 0.05;

/** The optimiser settings a run uses: lr from blr when set, weight decay by optimiser when unset. */
export function pretrainRecipe(
  o: Pick<PretrainOptions, "lr" | "blr" | "optimizer" | "weightDecay" | "batchTiles" | "clipGrad">,
): {
  optimizer: PretrainOptimizer;
  lr: number;
  weightDecay: number;
  clipGrad: number;
} {
  const optimizer = o.optimizer ?? "adam";
  if (!PRETRAIN_OPTIMIZERS.includes(optimizer))
    throw new Error(`optimizer must be adam or adamw, not '${optimizer}'`);
  if (o.blr !== undefined && !(o.blr > 0)) throw new Error(`blr must be positive, got ${o.blr}`);
  if (o.clipGrad !== undefined && !(o.clipGrad >= 0))
    throw new Error(`clipGrad must be a non-negative number, got ${o.clipGrad}`);
  return {
    optimizer,
    lr: o.blr !== undefined ? (o.blr * o.batchTiles) / 256 : o.lr,
    weightDecay: o.weightDecay ?? (optimizer === "adamw" ? ADAMW_WEIGHT_DECAY : 0),
    clipGrad: o.clipGrad ?? 0,
  };
}

/** The optimiser pretrain() steps with: Adam (L2 weight decay) or AdamW (decoupled), from pretrainRecipe. */
export function pretrainOptimizer(
  params: Tensor[],
  o: Parameters<typeof pretrainRecipe>[0] & { betas: [number, number] },
): optim.Adam {
  const r = pretrainRecipe(o);
  const Opt = r.optimizer === "adamw" ? optim.AdamW : optim.Adam;
  return new Opt(params, { lr: r.lr, betas: o.betas, weightDecay: r.weightDecay });
}

export const PRETRAIN_DEFAULTS: Omit<PretrainOptions, "data" | "out"> = {
  model: "model1",
  patch: 4,
  maskRatio: 0.5,
  normPixLoss: true,
  epochs: 50,
  batchTiles: 256,
  lr: 1e-5,
  betas: [0.9, 0.95],
  warmupEpochs: 0,
  cosine: false,
  tile: 64,
  seed: 0,
  device: "cpu",
  bf16: false,
  resume: false,
  workers: 1,
  maxSteps: 0,
};

/** test.json: the best epoch, its validation loss and the best checkpoint's test loss. */
export const PRETRAIN_SUMMARY = jsonFile("test.json", (f) => ({
  bestEpoch: f.int("bestEpoch", undefined, -1),
  bestValLoss: f.numOrNull("bestValLoss"),
  testLoss: f.numOrNull("testLoss"),
}));

export interface PretrainResult {
  runDir: string;
  bestEpoch: number;
  bestValLoss: number;
  testLoss: number;
}

/** A batch and, in data parallel, the number of tiles in the global batch it is part of. */
type MaeBatch = TileBatch & { globalRows?: number };

/**
 * Pre-trains into the run directory o.out, held (locked) by this process until it returns: a run
 * already there is continued only with o.resume (from its last/) or replaced with o.overwrite.
 * Under torchrun's environment (WORLD_SIZE > 1) it trains data parallel, rank 0 holding the run
 * directory for all: batchTiles is the global batch, split evenly among the ranks, and every rank
 * draws the mask noise of the whole global batch and keeps its own rows, so W ranks train exactly
 * as one process.
 */
export async function pretrain(o: PretrainOptions): Promise<PretrainResult> {
  return trainingRun(o, "pretrain", (dp) => pretrainOn(o, dp));
}

async function pretrainOn(o: PretrainOptions, dp: DataParallel | undefined): Promise<PretrainResult> {
  const main = !dp || dp.rank === 0;
  const device = dp ? dp.device(o.device) : o.device;
  const localBatch = dp ? dp.localBatch(o.batchTiles, "batch size (tiles)") : o.batchTiles;
  const ds = openDataset(o.data);
  const m = ds.meta;
  const cfg = presetConfig(o.model, {
    patchSize: o.patch,
    imageSize: o.tile,
    numChannels: m.channels,
    maskRatio: o.maskRatio,
    normPixLoss: o.normPixLoss,
  });
  const recipe = pretrainRecipe(o);
  if (main) {
    mkdirSync(o.out, { recursive: true });
    writeRunInfo(o.out, {
      command: "pretrain",
      ...o,
      ...recipe,
      worldSize: dp?.worldSize ?? 1,
      modelConfig: cfg,
    });
  }
  manualSeed(o.seed);
  const model = new ViTMAEForPreTraining(cfg).to(device);
  const opt = pretrainOptimizer(model.parameters(), o);
  const loader = (split: "train" | "val" | "test") =>
    new TileLoader(ds, {
      split,
      tile: o.tile,
      batchSize: split === "test" ? o.batchTiles : localBatch,
      seed: o.seed,
      withMasks: false,
      workers: o.workers,
      ...(dp && split !== "test"
        ? { rank: dp.rank, worldSize: dp.worldSize, dropLast: split === "train" }
        : {}),
    });
  const train = loader("train");
  const val = loader("val");
  const steps = o.maxSteps ? Math.min(o.maxSteps, train.numBatches) : train.numBatches;
  const toDevice = (b: TileBatch) => (device === "cpu" ? b.images : b.images.to(device));
  const patches = (o.tile / o.patch) ** 2;
  // This rank's rows of the global batch's noise (see pretrain).
  const noiseOf = (b: MaeBatch): Tensor | undefined =>
    dp && b.globalRows !== undefined
      ? scope(() =>
          rand([b.globalRows!, patches], { device }).indexSelect(0, dp.rowsOf(b.globalRows!).to(device)),
        )
      : undefined;
  const lossOf = (b: MaeBatch) => {
    const x = toDevice(b);
    const noise = noiseOf(b);
    const run = () => model.forward({ pixelValues: x, noise }).loss;
    return o.bf16 ? autocast(device, run) : run();
  };
  // Numbers each batch's global size, for noiseOf.
  const numbered = async function* (batches: AsyncIterable<TileBatch>, l: TileLoader) {
    if (!dp) return yield* batches;
    const total = l.opts.dropLast ? dp.worldSize * Math.floor(l.numTiles / dp.worldSize) : l.numTiles;
    let s = 0;
    for await (const b of batches)
      yield Object.assign(b, { globalRows: Math.min(o.batchTiles, total - s++ * o.batchTiles) });
  };
  // Validation and test masks come from a fixed seed so losses compare across epochs.
  const fixedNoise = async function* (batches: AsyncIterable<TileBatch>) {
    manualSeed(o.seed + 7919);
    yield* batches;
  };
  const evalStep = (b: MaeBatch) =>
    scope(() => {
      const r = { loss: noGrad(() => lossOf(b)).item(), n: b.indices.length };
      disposeBatch(b);
      return r;
    });
  const label = `pretrain ${o.model} p${o.patch}`;
  const schedule = epochSchedule(o, steps);
  try {
    const res = await trainLoop<MaeBatch>({
      runDir: o.out,
      label,
      model,
      optimizer: opt,
      epochs: o.epochs,
      seed: o.seed,
      resume: o.resume,
      schedule,
      clipGrad: recipe.clipGrad,
      phases: o.phases,
      train: { batches: (e) => numbered(capped(train.epoch(e), o.maxSteps), train), count: steps },
      task: tileTask(lossOf),
      validate: async (e) => {
        const progress = new Progress({
          total: val.numBatches,
          label: `${label} validate`,
          unit: "img",
          ...(main ? {} : { stream: SILENT }),
        });
        let va = await meanLoss(numbered(fixedNoise(val.epoch(e)), val), evalStep, {
          progress,
          diverged: "training diverged (try a lower --lr)",
        });
        progress.done();
        if (dp) va = await dp.weightedMean(va.loss, va.n);
        return { val_loss: va.loss };
      },
      score: (m) => m.val_loss,
      dp,
    });
    if (!main)
      return { runDir: o.out, bestEpoch: res.bestEpoch, bestValLoss: res.bestValLoss, testLoss: Number.NaN };
    // Test loss of the best checkpoint.
    const best = ViTMAEForPreTraining.fromPretrained(join(o.out, "best"));
    best.to(device).eval();
    const test = loader("test");
    const { loss: testLoss } = await meanLoss(fixedNoise(test.epoch(0)), (b) => {
      const x = toDevice(b);
      const r = {
        loss: scope(() => noGrad(() => best.forward({ pixelValues: x }).loss.item())),
        n: b.indices.length,
      };
      if (x !== b.images) x.dispose();
      disposeBatch(b);
      return r;
    });
    await test.close();
    best.dispose();
    const summary = { bestEpoch: res.bestEpoch, bestValLoss: res.bestValLoss, testLoss };
    PRETRAIN_SUMMARY.write(o.out, summary);
    return { runDir: o.out, ...summary };
  } finally {
    await train.close();
    await val.close();
    opt.dispose();
    model.dispose();
    ds.close();
  }
}
