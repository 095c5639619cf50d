// hemoseg sweep: experiment grids like the seed paper's Tables 4-6 (UNETR feature size for patch
// 4, 2 and 8) and §5.1 (ViTMAE model x patch x mask ratio), from a built-in preset or a JSON spec.
import { basename, extname, join } from "node:path";
import type { Command } from "commander";
import {
  type BudgetOverrides,
  budgetText,
  formatPlan,
  loadSpec,
  planSweep,
  runSweep,
  type SweepSpec,
  validateSpec,
  withBudget,
} from "../../train/sweep.js";
import { applyCommon, type CommonOptions, int, num, UsageError, withCommon } from "../common.js";
import { evaluateRun } from "./evaluate.js";

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
const PRESET_MINUTES: Record<string, number> = { table4: 6, table5: 8, table6: 6, mae: 10, recipes: 7 };

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

const SPEC_HELP = `
A spec (JSON) has:
  data      {"synth": {"stacks": 16, "tiles": 160, "seed": 0}} (made in <out>/data) or
            {"pretrain": DIR, "segmentation": DIR} (relative to the spec file)
  pretrain  base options of hemoseg pretrain, camelCase: {"model": "model1", "patch": 4, "lr": 0.001}
  finetune  base options of hemoseg finetune: {"featureSize": 64, "batchSize": 16}
  budget    {"pretrain": {"epochs": 3, "maxSteps": 2}, "finetune": {"epochs": 2, "maxSteps": 0}, "scale": 1}
  grid      axes whose cartesian product gives the points:
            "pretrain.<option>", "finetune.<option>", "seed" (both stages), "recipe" (paper, scratch,
            enc-lr-1e-4, lrd-0.75, frozen-3, unet, or your own in "recipes": {"name": {...overrides,
            "pretrained": false}}), e.g. {"finetune.featureSize": [32, 64], "seed": [0, 1, 2]}
  pretrainOnly, title, description
Points sharing pre-training options share one pre-training (<out>/pretrain/<model>-p<patch>-m<ratio>-<hash>);
each point fine-tunes into <out>/runs/<name> and is evaluated on the test split. Finished points are read
back; interrupted ones restart (or continue with --resume). Results: <out>/results.{csv,md,json}.
Print a preset as a starting spec: hemoseg sweep --preset table4 --print-spec > my.json`;

interface Opts extends CommonOptions, BudgetOverrides {
  spec?: string;
  preset?: string;
  out?: string;
  dryRun: boolean;
  resume: boolean;
  onlyMissing: boolean;
  printSpec: boolean;
  list: boolean;
}

export function registerSweep(program: Command): void {
  withCommon(program.command("sweep"))
    .description(
      "experiment grids (the paper's Tables 4-6, §5.1): pre-train, fine-tune, evaluate each point; resumable",
    )
    .option("--spec <file>", "a sweep spec (JSON, see below)")
    .option("--preset <name>", `a built-in sweep: ${Object.keys(SWEEP_PRESETS).join(", ")}`)
    .option("--out <dir>", "output folder (default: sweeps/<preset or spec name>)")
    .option("--dry-run", "list the points, their run directories and what is done; train nothing", false)
    .option(
      "--resume",
      "continue interrupted runs from their last checkpoint instead of restarting them",
      false,
    )
    .option("--only-missing", "train only points never started; leave interrupted runs as they are", false)
    .option(
      "--epochs <n>",
      "fine-tuning epochs per point (pre-training epochs in a pretrain-only sweep)",
      int,
    )
    .option("--pretrain-epochs <n>", "pre-training epochs", int)
    .option("--max-steps <n>", "steps per epoch of both stages (0: the whole split)", int)
    .option("--scale <f>", "multiply every epoch count", num)
    .option("--print-spec", "print the spec (with the budget changes) as JSON and exit", false)
    .option("--list", "list the presets with their budgets and exit", false)
    .addHelpText("after", SPEC_HELP)
    .action(async (o: Opts) => {
      if (o.list) {
        for (const [name, s] of Object.entries(SWEEP_PRESETS))
          console.log(
            `${name.padEnd(8)} ${s.title}\n         ${budgetText(s.budget, !!s.pretrainOnly)}; about ${PRESET_MINUTES[name]} min on 2 CPU cores`,
          );
        return;
      }
      if (!o.spec === !o.preset)
        throw new UsageError(
          `give one of --spec FILE or --preset NAME (${Object.keys(SWEEP_PRESETS).join(", ")})`,
        );
      const device = applyCommon(o);
      if (o.preset && !Object.hasOwn(SWEEP_PRESETS, o.preset))
        throw new UsageError(
          `--preset: unknown preset '${o.preset}' (known: ${Object.keys(SWEEP_PRESETS).join(", ")})`,
        );
      for (const [k, v] of Object.entries({
        epochs: o.epochs,
        pretrainEpochs: o.pretrainEpochs,
        scale: o.scale,
      }))
        if (v !== undefined && !(v > 0))
          throw new UsageError(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be positive`);
      if (o.maxSteps !== undefined && o.maxSteps < 0) throw new UsageError("--max-steps must be 0 or more");
      const base = o.preset ? validateSpec(SWEEP_PRESETS[o.preset], `preset ${o.preset}`) : loadSpec(o.spec!);
      const spec = withBudget(base, o);
      if (o.printSpec) {
        console.log(JSON.stringify(spec, null, 2));
        return;
      }
      const name = o.preset ?? basename(o.spec!, extname(o.spec!));
      const plan = planSweep(spec, { out: o.out ?? join("sweeps", name), seed: o.seed, name });
      if (o.dryRun) {
        process.stdout.write(formatPlan(plan));
        return;
      }
      const r = await runSweep(plan, {
        device,
        resume: o.resume,
        onlyMissing: o.onlyMissing,
        evaluate: (dir) => evaluateRun(dir, { split: "test", device }),
      });
      console.log(`\n${r.markdown}`);
      console.log(`\nresults: ${join(plan.out, "results.csv")}, ${join(plan.out, "results.md")}`);
      if (r.failed)
        throw new Error(`${r.failed} of ${plan.points.length} points failed (see the status column)`);
    });
}
