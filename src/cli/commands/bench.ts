// hemoseg bench mae|unetr|unet|epoch: training-step and whole-epoch throughput, optionally beside
// PyTorch (Hugging Face transformers and plain-PyTorch layouts) in alternating rounds.
import type { Command } from "commander";
import { isPresetName } from "../../models/presets.js";
import { benchEpoch, type EpochTask, PYTORCH_VARIANTS } from "../../pipeline/bench-epoch.js";
import {
  benchHemoseg,
  benchPlainPytorch,
  benchPytorch,
  type MaeBenchOptions,
} from "../../pipeline/bench-mae.js";
import { benchSeg } from "../../pipeline/bench-seg.js";
import { spread } from "../../pipeline/bench-torch.js";
import { getNumThreads, nativeInfo } from "../../torch/index.js";
import { applyCommon, type CommonOptions, UsageError, withCommon } from "../common.js";
import { intOption } from "../numeric.js";

interface Opts extends CommonOptions, MaeBenchOptions {
  json: boolean;
  againstPytorch: boolean;
  rounds: number;
}

const progress = (name: string, round: number, v: number) =>
  process.stderr.write(`round ${round + 1}: ${name} ${v.toFixed(2)} images/s\n`);

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
    .action((o: Opts) => {
      const device = applyCommon(o);
      const ours: number[] = [];
      const hf: number[] = [];
      const plain: number[] = [];
      for (let r = 0; r < o.rounds; r++) {
        ours.push(benchHemoseg(o, device).images_per_s);
        if (!o.againstPytorch) continue;
        hf.push(benchPytorch(o, device).images_per_s);
        if (device === "cpu" && !o.bf16) plain.push(benchPlainPytorch(o).images_per_s);
      }
      const row: Record<string, unknown> = {
        model: o.model,
        patch: o.patch,
        batch: o.batch,
        device,
        bf16: o.bf16,
        threads: device === "cpu" ? getNumThreads() : undefined,
        libtorch: nativeInfo.version,
        rounds: o.rounds,
        images_per_s: spread(ours).median,
      };
      if (o.rounds > 1) row.images_per_s_spread = spread(ours);
      if (o.againstPytorch) {
        row.pytorch_images_per_s = spread(hf).median;
        if (plain.length) row.pytorch_plain_images_per_s = spread(plain).median;
        const best = Math.max(spread(hf).median, plain.length ? spread(plain).median : 0);
        row.ratio = +((row.images_per_s as number) / best).toFixed(3);
        const perRound = ours.map((v, i) => v / Math.max(hf[i], plain[i] ?? 0));
        row.ratio_per_round = spread(perRound);
      }
      if (o.json) console.log(JSON.stringify(row));
      else
        console.log(
          `ViTMAE ${o.model} patch ${o.patch} batch ${o.batch} on ${device}${o.bf16 ? " (bf16)" : ""}: ` +
            `${row.images_per_s} images/s` +
            (o.againstPytorch
              ? `; PyTorch HF transformers ${row.pytorch_images_per_s}, plain ${row.pytorch_plain_images_per_s ?? "-"} images/s; ratio ${row.ratio}`
              : ""),
        );
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
          },
          progress,
        );
        console.log(o.json ? JSON.stringify(res) : JSON.stringify(res, null, 2));
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
