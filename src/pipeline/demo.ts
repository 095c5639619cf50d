// The whole pipeline on built-in synthetic data, sized for a 2-core CPU: synth -> ViTMAE
// pre-training -> UNETR fine-tuning (pre-trained and from scratch) -> U-Net baseline ->
// evaluation -> report, ending with DIR/summary.json.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { synthDatasets } from "../data/synth-datasets.js";
import type { ClassificationReport } from "../eval/report.js";
import { writeFileAtomic } from "../io/atomic.js";
import { writeJson } from "../io/json.js";
import { FINETUNE_DEFAULTS, finetune } from "../train/finetune.js";
import { PRETRAIN_DEFAULTS, type PretrainOptions, pretrain } from "../train/pretrain.js";
import { RECIPES, type Recipe } from "../train/recipes.js";
import { collectReport } from "../viz/report-data.js";
import { buildReport } from "../viz/report-html.js";
import { evaluateRun, type RunEvaluation } from "./evaluate-run.js";
import { reconstructRun } from "./reconstruct-run.js";

/** Sizes of one demo run; "default" fits 15 minutes on 2 cores, "tiny" is for tests. */
export const DEMO_SIZES = {
  default: {
    stacks: 48,
    tiles: 480,
    preEpochs: 24,
    preBatch: 64,
    ftEpochs: 12,
    featureSize: 16,
    ftMaxSteps: 0,
  },
  tiny: { stacks: 12, tiles: 64, preEpochs: 1, preBatch: 32, ftEpochs: 1, featureSize: 8, ftMaxSteps: 2 },
} as const;

/**
 * `--recipe` of the pre-trained UNETR (train/recipes.ts): the paper's plain recipe, the default as
 * none measured beat it, and "lrd", the MAE/BEiT one (encoder lr 1e-4, layer decay 0.75, warm-up).
 */
export const DEMO_RECIPES: Record<string, Recipe> = { paper: RECIPES.paper, lrd: RECIPES["lrd-0.75"] };

/**
 * The demo's pre-training: Model 2, patch 4, and — as a few minutes of CPU are ~1/300 of the
 * paper's budget — a higher learning rate with warm-up and cosine decay instead of its constant 1e-5.
 */
export function demoPretraining(data: string, out: string, size: keyof typeof DEMO_SIZES): PretrainOptions {
  const s = DEMO_SIZES[size];
  return {
    ...PRETRAIN_DEFAULTS,
    data,
    out,
    model: "model2",
    patch: 4,
    epochs: s.preEpochs,
    batchTiles: s.preBatch,
    lr: 1e-3,
    warmupEpochs: 1,
    cosine: true,
  };
}

export interface ModelSummary {
  accuracy: number;
  macro_f1: number;
  per_class: Record<string, { precision: number; recall: number; f1: number; support: number }>;
}

const summarise = (r: ClassificationReport): ModelSummary => ({
  accuracy: r.accuracy,
  macro_f1: r.macro.f1,
  per_class: r.perClass,
});

export async function runDemo(o: {
  out: string;
  size: keyof typeof DEMO_SIZES;
  seed: number;
  device: "cpu" | "cuda";
  recipe: string;
}) {
  const t0 = performance.now();
  const s = DEMO_SIZES[o.size];
  const step = (msg: string) =>
    process.stderr.write(`\n== ${msg} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  mkdirSync(o.out, { recursive: true });
  step("synthetic data");
  const data = synthDatasets({
    out: join(o.out, "data"),
    stacks: s.stacks,
    tiles: s.tiles,
    seed: o.seed,
    overwrite: true,
  });
  step("ViTMAE pre-training");
  const mae = join(o.out, "runs", "mae");
  const pre = await pretrain({
    ...demoPretraining(data.pretrain.dir, mae, o.size),
    seed: o.seed,
    device: o.device,
    overwrite: true, // the demo rebuilds everything under --out, like its data
  });
  const ft = {
    ...FINETUNE_DEFAULTS,
    data: data.segmentation.dir,
    model: "model2" as const,
    patch: 4,
    featureSize: s.featureSize,
    epochs: s.ftEpochs,
    maxSteps: s.ftMaxSteps,
    seed: o.seed,
    device: o.device,
    overwrite: true,
  };
  const runs = {
    unetr_pretrained: join(o.out, "runs", "unetr-pretrained"),
    unetr_scratch: join(o.out, "runs", "unetr-scratch"),
    unet: join(o.out, "runs", "unet"),
  };
  const { pretrained: _, ...recipe } = DEMO_RECIPES[o.recipe];
  step("UNETR from the pre-trained encoder");
  await finetune({
    ...ft,
    ...recipe,
    arch: "unetr",
    encoder: join(mae, "best"),
    out: runs.unetr_pretrained,
  });
  step("UNETR from scratch");
  await finetune({ ...ft, arch: "unetr", out: runs.unetr_scratch });
  step("U-Net baseline");
  await finetune({ ...ft, arch: "unet", out: runs.unet });
  step("evaluation on the test split");
  const evals: Record<string, RunEvaluation> = {};
  for (const [name, dir] of Object.entries(runs))
    evals[name] = await evaluateRun(dir, { split: "test", device: o.device });
  const seconds = (performance.now() - t0) / 1000;
  const summary = {
    ...Object.fromEntries(Object.entries(evals).map(([k, e]) => [k, summarise(e.sparse.report)])),
    full_masks: Object.fromEntries(
      Object.entries(evals).map(([k, e]) => [k, e.full ? summarise(e.full.report) : null]),
    ),
    pretraining: { best_epoch: pre.bestEpoch, val_loss: pre.bestValLoss, test_loss: pre.testLoss },
    recipe: o.recipe,
    size: o.size,
    seed: o.seed,
    seconds,
  };
  writeJson(join(o.out, "summary.json"), summary, 1);
  step("MAE reconstructions and the HTML report");
  reconstructRun({
    run: mae,
    out: join(mae, "reconstructions"),
    split: "test",
    which: "best",
    count: 6,
    rowsPerGrid: 6,
    device: o.device,
  });
  const report = join(o.out, "report.html");
  const input = collectReport([mae, ...Object.values(runs)], {
    title: "hemoseg demo: pre-trained UNETR vs UNETR from scratch vs U-Net (synthetic data)",
    examples: 6,
    device: o.device,
    summary: join(o.out, "summary.json"),
    generated: new Date().toISOString().replace("T", " ").slice(0, 16),
  });
  writeFileAtomic(report, buildReport(input));
  return { summary, evals, runs: { mae, ...runs }, seconds, report };
}
