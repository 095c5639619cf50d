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
