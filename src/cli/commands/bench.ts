// hemoseg bench mae|unetr|unet|epoch: training-step and whole-epoch throughput, optionally beside
// PyTorch (Hugging Face transformers and plain-PyTorch layouts) in alternating rounds.
import type { Command } from "commander";
import { isPresetName } from "../../models/presets.js";
import { benchEpoch, type EpochTask, PYTORCH_VARIANTS } from "../../pipeline/bench-epoch.js";
import { benchMae, type MaeBenchOptions } from "../../pipeline/bench-mae.js";
import { benchSeg } from "../../pipeline/bench-seg.js";
import { formatOpProfiles, type OpProfile } from "../../pipeline/op-profile.js";
import { applyCommon, type CommonOptions, UsageError, withCommon } from "../common.js";
import { intOption } from "../numeric.js";

interface Opts extends CommonOptions, MaeBenchOptions {
  json: boolean;
  againstPytorch: boolean;
  rounds: number;
}

const progress = (name: string, round: number, v: number) =>
  process.stderr.write(`round ${round + 1}: ${name} ${v.toFixed(2)} images/s\n`);

function printOpProfiles(p: unknown): void {
  if (p)
    console.log(
      `\nOp-level profile (self time per step; share of the step's wall time):\n\n${formatOpProfiles(p as Record<string, OpProfile>)}`,
    );
}

function preset(name: string): "model1" | "model2" {
  if (!isPresetName(name)) throw new UsageError(`--model must be model1 or model2, not '${name}'`);
  return name;
}

export function registerBench(program: Command): void {
  const bench = program.command("bench").description("benchmarks (training-step and epoch throughput)");
  withCommon(bench.command("mae"))
    .description("ViTMAE training step (forward, backward, Adam) in images/s")
    .option("--model <name>", "model1 or model2", "model2")
    .addOption(intOption("--patch <p>", "patch size", { min: 1 }, 4))
    .addOption(intOption("--batch <n>", "tiles per step", { min: 1 }, 32))
    .addOption(intOption("--steps <n>", "timed steps", { min: 1 }, 10))
    .addOption(intOption("--warmup <n>", "untimed steps first", { min: 0 }, 3))
    .addOption(intOption("--channels <n>", "image channels", { min: 1 }, 16))
    .addOption(intOption("--tile <n>", "tile size", { min: 1 }, 64))
    .addOption(intOption("--rounds <n>", "alternating rounds; images/s are medians", { min: 1 }, 1))
    .option("--bf16", "bfloat16 autocast", false)
    .option("--json", "print one JSON line", false)
    .option(
      "--against-pytorch",
      "also run Hugging Face's ViTMAE and a plain-PyTorch MAE and print the ratio to the faster",
      false,
    )
    .option("--profile-ops", "profile the timed steps op by op (libtorch's / torch.profiler)", false)
    .action((o: Opts) => {
      const device = applyCommon(o);
      const row = benchMae(o, device);
      if (o.json) console.log(JSON.stringify(row));
      else {
        console.log(
          `ViTMAE ${o.model} patch ${o.patch} batch ${o.batch} on ${device}${o.bf16 ? " (bf16)" : ""}: ` +
            `${row.images_per_s} images/s` +
            (o.againstPytorch
              ? `; PyTorch HF transformers ${row.pytorch_images_per_s}, plain ${row.pytorch_plain_images_per_s ?? "-"} images/s; ratio ${row.ratio}`
              : ""),
        );
        printOpProfiles(row.op_profile);
      }
    });

  for (const arch of ["unetr", "unet"] as const) {
    withCommon(bench.command(arch))
      .description(
        `${arch === "unetr" ? "UNETR" : "BasicUNet"} training step (forward, cross-entropy, backward, Adam) in images/s`,
      )
      .option("--model <name>", "encoder preset (UNETR)", "model2")
      .addOption(intOption("--patch <p>", "patch size (UNETR)", { min: 1 }, 4))
      .addOption(intOption("--feature-size <n>", "UNETR feature size", { min: 16, max: 256 }, 16))
      .addOption(intOption("--classes <n>", "classes", { min: 1 }, 11))
      .addOption(intOption("--channels <n>", "image channels", { min: 1 }, 16))
      .addOption(intOption("--tile <n>", "tile size", { min: 1 }, 64))
      .addOption(intOption("--batch <n>", "tiles per step", { min: 1 }, 32))
      .addOption(intOption("--steps <n>", "timed steps per run", { min: 1 }, 5))
      .addOption(intOption("--warmup <n>", "untimed steps first", { min: 0 }, 2))
      .addOption(intOption("--rounds <n>", "alternating rounds", { min: 1 }, 3))
      .option("--json", "print one JSON line", false)
      .option("--against-pytorch", "also run the same layout in plain PyTorch, alternating", false)
      .option("--profile-ops", "profile the timed steps op by op (libtorch's / torch.profiler)", false)
      .action((o: Record<string, unknown> & CommonOptions) => {
        const device = applyCommon(o);
        if (device !== "cpu") throw new UsageError(`bench ${arch}: CPU only for now`);
        const res = benchSeg(
          {
            arch,
            model: preset(o.model as string),
            patch: o.patch as number,
            featureSize: o.featureSize as number,
            classes: o.classes as number,
            channels: o.channels as number,
            tile: o.tile as number,
            batch: o.batch as number,
            steps: o.steps as number,
            warmup: o.warmup as number,
            rounds: o.rounds as number,
            pytorch: o.againstPytorch ? PYTORCH_VARIANTS[arch] : [],
            profileOps: o.profileOps as boolean,
          },
          progress,
        );
        if (o.json) console.log(JSON.stringify(res));
        else {
          const { op_profile, ...rest } = res;
          console.log(JSON.stringify(rest, null, 2));
          printOpProfiles(op_profile);
        }
      });
  }

  withCommon(bench.command("epoch"))
    .description("one training epoch of hemoseg's pipeline on a dataset (data included), in images/s")
    .requiredOption("--data <dir>", "dataset directory (pretrain set for mae, segmentation set otherwise)")
    .option("--task <t>", "mae, unetr or unet", "mae")
    .option("--model <name>", "encoder preset", "model2")
    .addOption(intOption("--patch <p>", "patch size", { min: 1 }, 4))
    .addOption(intOption("--feature-size <n>", "UNETR feature size", { min: 16, max: 256 }, 16))
    .addOption(intOption("--tile <n>", "tile size (pre-training)", { min: 1 }, 64))
    .addOption(intOption("--batch <n>", "tiles per step", { min: 1 }, 32))
    .addOption(
      intOption("--max-steps <n>", "cap on steps per epoch (0: the whole training split)", { min: 0 }, 0),
    )
    .addOption(intOption("--rounds <n>", "alternating rounds", { min: 1 }, 3))
    .option("--json", "print one JSON line", false)
    .option(
      "--profile",
      "time hemoseg's training-loop phases (data, forward, backward, optimizer, ...)",
      false,
    )
    .option("--against-pytorch", "also run the same epoch in plain PyTorch loops, alternating", false)
    .action(async (o: Record<string, unknown> & CommonOptions) => {
      applyCommon(o);
      const task = o.task as EpochTask;
      if (!(task in PYTORCH_VARIANTS))
        throw new UsageError(`--task must be mae, unetr or unet, not '${task}'`);
      const res = await benchEpoch(
        {
          task,
          data: o.data as string,
          model: preset(o.model as string),
          patch: o.patch as number,
          featureSize: o.featureSize as number,
          tile: o.tile as number,
          batch: o.batch as number,
          maxSteps: o.maxSteps as number,
          rounds: o.rounds as number,
          seed: o.seed,
          pytorch: o.againstPytorch ? PYTORCH_VARIANTS[task] : [],
          profile: o.profile as boolean,
        },
        progress,
      );
      console.log(o.json ? JSON.stringify(res) : JSON.stringify(res, null, 2));
    });
}
