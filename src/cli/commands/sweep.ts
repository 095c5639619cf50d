// hemoseg sweep: experiment grids like the seed paper's Tables 4-6 (UNETR feature size for patch
// 4, 2 and 8) and §5.1 (ViTMAE model x patch x mask ratio), from a built-in preset or a JSON spec.
import { basename, extname, join } from "node:path";
import type { Command } from "commander";
import {
  type BudgetOverrides,
  budgetText,
  formatPlan,
  loadSpec,
  PRESET_MINUTES,
  parseDevices,
  planSweep,
  runSweep,
  runSweepOnDevices,
  SWEEP_PRESETS,
  validateSpec,
  withBudget,
} from "../../pipeline/sweep/index.js";
import { applyCommon, type CommonOptions, UsageError, withCommon } from "../common.js";
import { floatOption, intOption } from "../numeric.js";

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
            "pretrained": false}}), e.g. {"finetune.featureSize": [32, 64], "seed": [0, 1, 2]};
            or a list of such grids, their points pooled (a curve and its references)
  curve     {"x": "pretrain.epochs", "xLabel": "MAE steps", "ignore": [AXIS], "logX": false}: draws
            macro F1 (mean ± std over seeds) against that axis into <out>/curve-*.svg/.png;
            points without the axis are flat reference lines
  pretrainOnly, title, description
Points sharing pre-training options share one pre-training (<out>/pretrain/<model>-p<patch>-m<ratio>-<hash>);
each point fine-tunes into <out>/runs/<name> and is evaluated on the test split. Finished points are read
back; interrupted ones restart (or continue with --resume). Results: <out>/results.{csv,md,json}.
--shard i/n lets n processes (or machines sharing the folder) train one sweep together.
Print a preset as a starting spec: hemoseg sweep --preset table4 --print-spec > my.json`;

interface Opts extends CommonOptions, BudgetOverrides {
  spec?: string;
  preset?: string;
  out?: string;
  dryRun: boolean;
  resume: boolean;
  onlyMissing: boolean;
  shard?: string;
  printSpec: boolean;
  list: boolean;
  devices?: string;
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
      "--shard <i/n>",
      "train only shard i of n (points sharing a pre-training stay together): run n processes or machines on one --out at once",
    )
    .addOption(
      intOption(
        "--epochs <n>",
        "fine-tuning epochs per point (pre-training epochs in a pretrain-only sweep)",
        { min: 1 },
      ),
    )
    .addOption(intOption("--pretrain-epochs <n>", "pre-training epochs", { min: 1 }))
    .addOption(
      intOption("--max-steps <n>", "steps per epoch of both stages (0: the whole split)", { min: 0 }),
    )
    .addOption(floatOption("--scale <f>", "multiply every epoch count", { above: 0 }))
    .option("--print-spec", "print the spec (with the budget changes) as JSON and exit", false)
    .option("--list", "list the presets with their budgets and exit", false)
    .option(
      "--devices <list>",
      "run points side by side, one worker process per device (worker w of n trains --shard w/n): CUDA indices (0,1,...) with --device cuda, or cpu,cpu,... (a share of the cores each)",
    )
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
      let shard: { index: number; count: number } | undefined;
      if (o.shard !== undefined) {
        const m = /^(\d+)\/(\d+)$/.exec(o.shard);
        if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2]))
          throw new UsageError(`--shard takes i/n with 0 <= i < n (e.g. 0/3), not '${o.shard}'`);
        shard = { index: Number(m[1]), count: Number(m[2]) };
      }
      if (o.devices !== undefined) {
        if (shard)
          throw new UsageError("--devices and --shard cannot both be given (--devices makes the shards)");
        let slots: ReturnType<typeof parseDevices>;
        try {
          slots = parseDevices(o.devices, device);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        const r = await runSweepOnDevices(plan, {
          device,
          resume: o.resume,
          onlyMissing: o.onlyMissing,
          slots,
          argv: process.argv.slice(1),
        });
        console.log(`\n${r.markdown}`);
        console.log(`\nresults: ${join(plan.out, "results.csv")}, ${join(plan.out, "results.md")}`);
        const left = r.rows.filter((row) => row.status !== "done").length;
        if (r.failedWorkers || left)
          throw new Error(
            `${left} of ${plan.points.length} points not done (${r.failedWorkers} worker(s) failed)`,
          );
        return;
      }
      const r = await runSweep(plan, {
        device,
        resume: o.resume,
        onlyMissing: o.onlyMissing,
        shard,
      });
      console.log(`\n${r.markdown}`);
      console.log(`\nresults: ${join(plan.out, "results.csv")}, ${join(plan.out, "results.md")}`);
      if (r.failed)
        throw new Error(`${r.failed} of ${plan.points.length} points failed (see the status column)`);
    });
}
