// hemoseg bench mae: training-step throughput of ViTMAE, optionally beside Hugging Face's in PyTorch.
import type { Command } from "commander";
import { benchHemoseg, benchPytorch, type MaeBenchOptions } from "../../pipeline/bench-mae.js";
import { getNumThreads, nativeInfo } from "../../torch/index.js";
import { applyCommon, type CommonOptions, int, withCommon } from "../common.js";

interface Opts extends CommonOptions, MaeBenchOptions {
  json: boolean;
  againstPytorch: boolean;
}

export function registerBench(program: Command): void {
  const bench = program.command("bench").description("benchmarks (training-step throughput)");
  withCommon(bench.command("mae"))
    .description("ViTMAE training step (forward, backward, Adam) in images/s")
    .option("--model <name>", "model1 or model2", "model2")
    .option("--patch <p>", "patch size", int, 4)
    .option("--batch <n>", "tiles per step", int, 32)
    .option("--steps <n>", "timed steps", int, 10)
    .option("--warmup <n>", "untimed steps first", int, 3)
    .option("--channels <n>", "image channels", int, 16)
    .option("--tile <n>", "tile size", int, 64)
    .option("--bf16", "bfloat16 autocast", false)
    .option("--json", "print one JSON line", false)
    .option(
      "--against-pytorch",
      "also run Hugging Face's ViTMAE in Python PyTorch and print the ratio",
      false,
    )
    .action((o: Opts) => {
      const device = applyCommon(o);
      const ours = benchHemoseg(o, device);
      const row: Record<string, unknown> = {
        model: o.model,
        patch: o.patch,
        batch: o.batch,
        device,
        bf16: o.bf16,
        threads: device === "cpu" ? getNumThreads() : undefined,
        libtorch: nativeInfo.version,
        images_per_s: +ours.images_per_s.toFixed(2),
      };
      if (o.againstPytorch) {
        const theirs = benchPytorch(o, device);
        row.pytorch_images_per_s = +theirs.images_per_s.toFixed(2);
        row.ratio = +(ours.images_per_s / theirs.images_per_s).toFixed(3);
      }
      if (o.json) console.log(JSON.stringify(row));
      else
        console.log(
          `ViTMAE ${o.model} patch ${o.patch} batch ${o.batch} on ${device}${o.bf16 ? " (bf16)" : ""}: ` +
            `${row.images_per_s} images/s` +
            (o.againstPytorch
              ? `; PyTorch (HF transformers) ${row.pytorch_images_per_s} images/s; ratio ${row.ratio}`
              : ""),
        );
    });
}
