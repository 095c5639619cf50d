// Supervised segmentation training from sparse labels: UNETR (from a pre-trained ViTMAE encoder or
// from scratch) and the MONAI BasicUNet baseline, with the paper's recipe by default and the
// standard MAE fine-tuning tools (encoder lr, layer decay, warm-up, frozen-encoder epochs) as options.
import { mkdirSync } from "node:fs";
import { openDataset } from "../data/dataset.js";
import { type TileBatch, TileLoader } from "../data/loader.js";
import { tileGrid } from "../data/tiles.js";
import { evaluateSegmenter } from "../eval/evaluate.js";
import { classificationReport } from "../eval/report.js";
import {
  formatEncoderReport,
  freezeEncoder,
  loadEncoder,
  readEncoderConfig,
} from "../models/encoder-transfer.js";
import { type PresetName, presetConfig } from "../models/presets.js";
import { BasicUNet, DEFAULT_UNET_FEATURES } from "../models/unet.js";
import { UNETR } from "../models/unetr.js";
import type { ViTConfig } from "../models/vit.js";
import { autocast, F, manualSeed, optim, scope, type Tensor, tensor } from "../torch/index.js";
import { capped, tileTask } from "./batches.js";
import type { DataParallel } from "./data-parallel.js";
import { paramGroups } from "./param-groups.js";
import type { PhaseTimer } from "./phases.js";
import { writeRunInfo } from "./run-info.js";
import { epochSchedule, trainLoop } from "./trainer.js";
import { trainingRun } from "./training-run.js";

export type Arch = "unetr" | "unet";

export interface FinetuneOptions {
  data: string;
  out: string;
  arch: Arch;
  /** A ViTMAE / ViT / UNETR checkpoint dir whose encoder starts the UNETR (none: from scratch). */
  encoder?: string;
  /** Encoder shape when training from scratch. */
  model: PresetName;
  patch: number;
  featureSize: number;
  epochs: number;
  batchSize: number;
  lr: number;
  encoderLr?: number;
  layerDecay: number;
  betas: [number, number];
  weightDecay: number;
  warmupEpochs: number;
  cosine: boolean;
  /** Keep the encoder frozen for this many epochs (all of them with freezeEncoder). */
  frozenEpochs: number;
  freezeEncoder: boolean;
  /** "none", "balanced" (inverse frequency of labelled pixels in train), or one weight per class. */
  classWeights: "none" | "balanced" | number[];
  seed: number;
  device: "cpu" | "cuda";
  bf16: boolean;
  resume: boolean;
  /** Replace a run already in `out` (without it, an existing run is refused unless resumed). */
  overwrite?: boolean;
  maxSteps: number;
  /**
   * Labelled training tiles: the first N of a shuffle of the train split seeded by `seed` (0: the
   * whole split). The same seed gives nested subsets (16 of them are among the 64), for label curves.
   */
  trainTiles?: number;
  /**
   * Side of the square tiles cut from each stack (the grid of tiles.ts) to train and validate on
   * (default: the stack side, for square stacks). Non-square images, such as BCCD's 480 x 640
   * smears, need one.
   */
  tile?: number;
  quiet?: boolean;
  /** Wall time per training-loop phase is added here when given (bench epoch --profile). */
  phases?: PhaseTimer;
}

export const FINETUNE_DEFAULTS: Omit<FinetuneOptions, "data" | "out" | "arch"> = {
  model: "model1",
  patch: 4,
  featureSize: 64,
  epochs: 300,
  batchSize: 32,
  lr: 1e-3,
  layerDecay: 1,
  betas: [0.9, 0.95],
  weightDecay: 0,
  warmupEpochs: 0,
  cosine: false,
  frozenEpochs: 0,
  freezeEncoder: false,
  classWeights: "none",
  seed: 0,
  device: "cpu",
  bf16: false,
  resume: false,
  maxSteps: 0,
};

export interface FinetuneResult {
  runDir: string;
  bestEpoch: number;
  bestValLoss: number;
  history: Record<string, number>[];
}

function buildModel(
  o: FinetuneOptions,
  channels: number,
  classes: number,
  tile: number,
): { model: UNETR | BasicUNet; vit?: ViTConfig } {
  if (o.arch === "unet") {
    return {
      model: new BasicUNet({ inChannels: channels, outChannels: classes, features: DEFAULT_UNET_FEATURES }),
    };
  }
  const base: ViTConfig = o.encoder
    ? readEncoderConfig(o.encoder).vit
    : presetConfig(o.model, { patchSize: o.patch, numChannels: channels, imageSize: tile });
  const vit = { ...base, imageSize: tile };
  const model = UNETR.create(vit, { outChannels: classes, featureSize: o.featureSize });
  if (o.encoder) {
    const report = loadEncoder(model, o.encoder);
    if (!o.quiet) process.stderr.write(`${formatEncoderReport(report)}\n`);
  }
  return { model, vit };
}

/** The training tile: the stack side for square stacks, else --tile, which must fit in the stacks. */
function trainingTile(o: FinetuneOptions, height: number, width: number): number {
  if (o.tile === undefined || o.tile === 0) {
    if (height === width) return height;
    throw new Error(
      `${o.data}: the images are ${height} x ${width}, not square: pass a tile size (--tile, e.g. ${suggestTile(height, width)}) to train on square tiles cut from them`,
    );
  }
  const g = tileGrid(height, width, o.tile); // refuses a tile larger than the images
  const lostRows = height - g.rows * o.tile;
  const lostCols = width - g.cols * o.tile;
  if ((lostRows || lostCols) && !o.quiet)
    process.stderr.write(
      `note: ${g.rows} x ${g.cols} tiles of ${o.tile} px cover ${g.rows * o.tile} x ${g.cols * o.tile} of the ${height} x ${width} images; the last ${lostRows} rows and ${lostCols} columns are not used (a tile that divides both sides uses every pixel)\n`,
    );
  return o.tile;
}

/** A tile side that divides both image sides and is a multiple of 16 (UNETR's four up-samplings), if any up to 256. */
function suggestTile(height: number, width: number): number {
  for (let t = Math.min(256, height, width); t >= 16; t--)
    if (t % 16 === 0 && height % t === 0 && width % t === 0) return t;
  return 64;
}

/** Inverse-frequency class weights from the training split's labelled pixels, mean 1 over present classes. */
function balancedWeights(counts: number[]): number[] {
  const present = counts.filter((c) => c > 0);
  const total = present.reduce((a, b) => a + b, 0);
  const w = counts.map((c) => (c > 0 ? total / (present.length * c) : 0));
  return w;
}

/**
 * Trains into the run directory o.out, held (locked) by this process until it returns: a run
 * already there is continued only with o.resume (from its last/) or replaced with o.overwrite.
 * Under torchrun's environment (WORLD_SIZE > 1) it trains data parallel, rank 0 holding the run
 * directory for all: batchSize is the global batch, split evenly among the ranks; rank 0 validates
 * and writes.
 */
export async function finetune(o: FinetuneOptions): Promise<FinetuneResult> {
  return trainingRun(o, o.arch === "unet" ? "train-unet" : "finetune", (dp) => finetuneOn(o, dp));
}

async function finetuneOn(o: FinetuneOptions, dp: DataParallel | undefined): Promise<FinetuneResult> {
  const main = !dp || dp.rank === 0;
  const device = dp ? dp.device(o.device) : o.device;
  const localBatch = dp ? dp.localBatch(o.batchSize, "batch size") : o.batchSize;
  const ds = openDataset(o.data);
  const m = ds.meta;
  if (m.kind !== "segmentation" || !ds.files.masks)
    throw new Error(`${o.data}: not a segmentation dataset (no masks.npy)`);
  const tile = trainingTile(o, m.height, m.width);
  const K = m.classes.length;
  if (main) mkdirSync(o.out, { recursive: true });
  manualSeed(o.seed);
  const { model, vit } = buildModel({ ...o, quiet: o.quiet || !main }, m.channels, K, tile);
  model.to(device);
  const groups =
    model instanceof UNETR
      ? paramGroups(model, {
          lr: o.lr,
          encoderLr: o.encoderLr,
          layerDecay: o.layerDecay,
          betas: o.betas,
          weightDecay: o.weightDecay,
          numLayers: vit!.numHiddenLayers,
        })
      : [{ params: model.parameters(), lr: o.lr, betas: o.betas, weightDecay: o.weightDecay, name: "all" }];
  const opt = new optim.Adam(groups);
  const nTrain = m.split.train.length;
  const trainTiles = o.trainTiles ?? 0;
  if (!Number.isInteger(trainTiles) || trainTiles < 0 || trainTiles > nTrain)
    throw new Error(
      `trainTiles (--train-tiles) ${o.trainTiles}: ${o.data} has ${nTrain} training images (0 takes them all)`,
    );
  const train = new TileLoader(ds, {
    split: "train",
    subset: trainTiles,
    tile,
    batchSize: localBatch,
    seed: o.seed,
    ...(dp ? { rank: dp.rank, worldSize: dp.worldSize, dropLast: true } : {}),
  });
  const steps = o.maxSteps ? Math.min(o.maxSteps, train.numBatches) : train.numBatches;
  let weight: Tensor | null = null;
  let weights: number[] = new Array(K).fill(1);
  if (o.classWeights !== "none") {
    const w =
      o.classWeights === "balanced" ? balancedWeights(labelCounts(ds, train.stacks, K)) : o.classWeights;
    if (w.length !== K) throw new Error(`class weights: ${w.length} given for ${K} classes`);
    weight = tensor(w).to(device);
    weights = w;
  }
  // Data parallel: the loss is a mean over the labelled pixels of the whole global batch, as in one
  // process. Each rank scales its own mean by W x (its labelled weight) / (the global one), so the
  // averaged gradients are the global mean's, and a rank without labels contributes zero, not NaN.
  let scale = 1;
  const prepare = dp
    ? async (b: TileBatch) => {
        const n = labelledWeight(b.masks!, weights);
        const [total] = await dp.pg.allReduceNumbers([n]);
        scale = total > 0 ? (dp.worldSize * n) / total : 0;
      }
    : undefined;
  if (main)
    writeRunInfo(o.out, {
      command: o.arch === "unet" ? "train-unet" : "finetune",
      ...o,
      worldSize: dp?.worldSize ?? 1,
      trainTileIds: trainTiles ? train.stacks : undefined,
      classes: m.classes,
      stats: m.stats,
      tile,
      channels: m.channels,
    });
  const lossOf = (b: TileBatch) => {
    const x = device === "cpu" ? b.images : b.images.to(device);
    const y = device === "cpu" ? b.masks! : b.masks!.to(device);
    const run = () => model.forward(x);
    const logits = o.bf16 ? autocast(device, run).float() : run();
    if (dp && scale === 0) return logits.sum().mul(0);
    const loss = F.crossEntropy(logits, y, { ignoreIndex: m.ignoreIndex, weight });
    return dp ? loss.mul(scale) : loss;
  };
  const schedule = epochSchedule(o, steps);
  try {
    const res = await trainLoop<TileBatch>({
      runDir: o.out,
      label: o.arch === "unet" ? "U-Net" : o.encoder ? "UNETR (pre-trained)" : "UNETR (scratch)",
      model,
      optimizer: opt,
      epochs: o.epochs,
      seed: o.seed,
      resume: o.resume,
      schedule,
      phases: o.phases,
      beforeEpoch: (epoch) => {
        if (model instanceof UNETR && (o.freezeEncoder || o.frozenEpochs > 0)) {
          freezeEncoder(model, o.freezeEncoder || epoch < o.frozenEpochs);
        }
      },
      train: { batches: (e) => capped(train.epoch(e), o.maxSteps), count: steps },
      task: { ...tileTask(lossOf), prepare },
      // Loss, macro F1 and accuracy on the validation split from one pass (by rank 0).
      validate: async (): Promise<Record<string, number>> => {
        if (!main) return {};
        const r = await evaluateSegmenter(model, ds, {
          split: "val",
          tile,
          device,
          batchSize: o.batchSize,
          bf16: o.bf16,
        });
        const rep = classificationReport(r.sparse.counts, m.classes);
        return { val_loss: r.loss, val_macro_f1: rep.macro.f1, val_accuracy: rep.accuracy };
      },
      score: (m) => m.val_loss,
      dp,
    });
    return { runDir: o.out, bestEpoch: res.bestEpoch, bestValLoss: res.bestValLoss, history: res.history };
  } finally {
    await train.close();
    weight?.dispose();
    opt.dispose();
    model.dispose();
    ds.close();
  }
}

/** Sum of the class weights of a batch's labelled pixels (values below the number of classes). */
function labelledWeight(masks: Tensor, weights: number[]): number {
  const a = masks.toTypedArray();
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Number(a[i]);
    if (v < weights.length) s += weights[v];
  }
  return s;
}

/** Labelled-pixel counts per class over the training tiles' sparse masks. */
function labelCounts(ds: ReturnType<typeof openDataset>, tiles: readonly number[], K: number): number[] {
  const counts = new Array(K).fill(0);
  const masks = ds.masks!;
  for (const i of tiles) {
    const a = scope(() => masks.select(0, i).toTypedArray()) as Uint8Array;
    for (const v of a) if (v < K) counts[v]++;
  }
  return counts;
}
