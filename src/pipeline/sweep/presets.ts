// Built-in sweeps: the seed paper's Tables 4-6 (UNETR feature size for patch 4, 2 and 8), its §5.1
// (ViTMAE model x patch x mask ratio) and the fine-tuning recipes over seeds.
import type { SweepSpec } from "./spec.js";

// Presets share small synthetic data (12 stacks to pre-train on, 160 segmentation tiles) and the
// demo's pre-training recipe (the paper's lr 1e-5 learns nothing in a few epochs); fine-tuning
// keeps the paper's recipe (Adam lr 1e-3). Budgets are sized for a 2-core CPU (PRESET_MINUTES);
// they show the pipeline, not the paper's figures: scale them with --epochs, --pretrain-epochs,
// --max-steps or --scale.
const DATA = { synth: { stacks: 12, tiles: 160, seed: 0 } };
const MAE = {
  model: "model1",
  maskRatio: 0.5,
  lr: 1e-3,
  warmupEpochs: 1,
  cosine: true,
  batchTiles: 64,
} as const;
const TABLE_BUDGET = { pretrain: { epochs: 3, maxSteps: 2 }, finetune: { epochs: 2, maxSteps: 2 } };
// Patch 2 has 4x the tokens of patch 4: a smaller budget keeps table5 near the others' time.
const TABLE5_BUDGET = { pretrain: { epochs: 2, maxSteps: 2 }, finetune: { epochs: 2, maxSteps: 1 } };

const table = (n: number, patch: number, featureSizes: number[], budget = TABLE_BUDGET): SweepSpec => ({
  title: `Table ${n}: UNETR feature size, ${patch} x ${patch} patches`,
  description: `UNETR fine-tuned from one Model 1 ViTMAE (patch ${patch}, mask ratio 0.5) with feature sizes ${featureSizes.join(", ")}, as in the seed paper's Table ${n}.`,
  data: DATA,
  pretrain: { ...MAE, patch },
  finetune: { batchSize: 16 },
  budget,
  grid: { "finetune.featureSize": featureSizes },
});

// When does pre-training pay (issue 14): a pool of unlabelled stacks much larger than the labelled
// set (48 stacks = 768 tiles of 64 x 64 against 320 labelled tiles, the generator unchanged), Model 2
// with 8 x 8 patches, and the same fine-tuning budget for every point: 3 epochs x 4 steps of 8
// tiles (12 steps; 16 labelled tiles make 2 steps an epoch, so that point trains 6 epochs).
// Pre-training steps = epochs x 5 (16 tiles each). These defaults are what a 2-core CPU shared with
// other work finishes in about an hour; --scale multiplies every epoch count (the points' budgets
// stay equal), e.g. hemoseg sweep --preset budget --scale 50 --device cuda.
const CURVE_DATA = { synth: { stacks: 48, tiles: 320, seed: 0 } };
const CURVE_MAE = { ...MAE, model: "model2", patch: 8, batchTiles: 16 } as const;
const CURVE_BUDGET = { pretrain: { epochs: 9, maxSteps: 5 }, finetune: { epochs: 3, maxSteps: 4 } };
const CURVE_FINETUNE = { featureSize: 16, batchSize: 8 };
const SEEDS = [0, 1, 2];
/** Pre-training epochs of the budget curve (x 5 steps); the largest is the labels curve's. */
const PRETRAIN_EPOCHS = [1, 3, 9];

/** Wall-clock minutes of each preset at its default budget, measured on a busy 2-core CPU (load 3-7). */
export const PRESET_MINUTES: Record<string, number> = {
  table4: 6,
  table5: 8,
  table6: 6,
  mae: 10,
  recipes: 7,
};

export const SWEEP_PRESETS: Record<string, SweepSpec> = {
  table4: table(4, 4, [32, 64, 128, 256]),
  table5: table(5, 2, [64, 128, 256], TABLE5_BUDGET),
  table6: table(6, 8, [32, 64, 128, 256]),
  mae: {
    title: "ViTMAE: model, patch size and mask ratio (§5.1)",
    description:
      "ViTMAE pre-training only, Model 1 vs Model 2 x patch 2/4/8 x mask ratio 0.5/0.75/0.9, compared by MAE loss as in the seed paper's §5.1.",
    data: DATA,
    pretrainOnly: true,
    pretrain: MAE,
    budget: { pretrain: { epochs: 1, maxSteps: 2 } },
    grid: {
      "pretrain.model": ["model1", "model2"],
      "pretrain.patch": [2, 4, 8],
      "pretrain.maskRatio": [0.5, 0.75, 0.9],
    },
  },
  budget: {
    title: "Pre-training budget: macro F1 against MAE pre-training steps",
    description:
      "UNETR fine-tuned from Model 2 ViTMAEs (patch 8) pre-trained for 5, 15 and 45 steps of 16 tiles on 768 unlabelled tiles, with the same 12 fine-tuning steps, over three seeds (both stages); scratch UNETR and the U-Net are the flat references (0 steps). The mae-recipes preset compares mask ratio, AdamW and fine-tuning recipes on the same budgets.",
    data: CURVE_DATA,
    pretrain: CURVE_MAE,
    finetune: CURVE_FINETUNE,
    budget: CURVE_BUDGET,
    curve: { x: "pretrain.epochs", xLabel: "MAE pre-training steps (16 tiles each)" },
    grid: [
      { recipe: ["scratch", "unet"], seed: SEEDS },
      { recipe: ["paper"], "pretrain.epochs": PRETRAIN_EPOCHS, seed: SEEDS },
    ],
  },
  "mae-recipes": {
    title: "MAE and fine-tuning recipes at fixed pre-training budgets",
    description:
      "On the budget curve's data and budgets: at 15 pre-training steps, mask ratio 0.75 against 0.5 and AdamW (weight decay 0.05) against Adam; at 45 steps, the lrd-0.75 and frozen-3 fine-tuning recipes against the paper's; three seeds.",
    data: CURVE_DATA,
    pretrain: CURVE_MAE,
    finetune: CURVE_FINETUNE,
    budget: CURVE_BUDGET,
    grid: [
      { recipe: ["paper"], "pretrain.epochs": [3], "pretrain.maskRatio": [0.5, 0.75], seed: SEEDS },
      { recipe: ["paper"], "pretrain.epochs": [3], "pretrain.optimizer": ["adamw"], seed: SEEDS },
      { recipe: ["paper", "lrd-0.75", "frozen-3"], "pretrain.epochs": [9], seed: SEEDS },
    ],
  },
  labels: {
    title: "Label scarcity: macro F1 against labelled tiles",
    description:
      "UNETR fine-tuned from a Model 2 ViTMAE (patch 8, 45 pre-training steps of 16 tiles on 768 unlabelled tiles) against scratch UNETR and the U-Net, on 16, 64 and all labelled training tiles (the first N of a seeded shuffle of the train split, `finetune --train-tiles`), the same 12 fine-tuning steps for every point, over three seeds.",
    data: CURVE_DATA,
    pretrain: CURVE_MAE,
    finetune: CURVE_FINETUNE,
    budget: CURVE_BUDGET,
    curve: {
      x: "finetune.trainTiles",
      xLabel: "labelled training tiles (log scale)",
      ignore: ["finetune.epochs"],
      logX: true,
    },
    grid: [
      // 16 tiles are two batches: 6 epochs of 2 steps match the others' 3 epochs of 4 steps.
      {
        recipe: ["paper", "scratch", "unet"],
        "finetune.trainTiles": [16],
        "finetune.epochs": [6],
        seed: SEEDS,
      },
      { recipe: ["paper", "scratch", "unet"], "finetune.trainTiles": [64, 0], seed: SEEDS },
    ],
  },
  recipes: {
    title: "Fine-tuning recipes x seeds",
    description:
      "UNETR fine-tuned from one Model 2 ViTMAE (patch 4) with the recipes of bench/recipes.ts, from scratch and the U-Net, over three fine-tuning seeds.",
    data: DATA,
    pretrain: { ...MAE, model: "model2", patch: 4 },
    finetune: { featureSize: 16 },
    budget: { pretrain: { epochs: 4, maxSteps: 2 }, finetune: { epochs: 2, maxSteps: 2 } },
    grid: {
      recipe: ["paper", "scratch", "enc-lr-1e-4", "lrd-0.75", "frozen-3", "unet"],
      "finetune.seed": [0, 1, 2],
    },
  },
};
