// hemoseg bench mae: training-step throughput of ViTMAE, optionally beside Hugging Face's in PyTorch.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { vitMaeConfigToHF } from "../../models/hf-config.js";
import { presetConfig } from "../../models/presets.js";
import { ViTMAEForPreTraining } from "../../models/vitmae.js";
import { autocast, cuda, getNumThreads, keep, nativeInfo, optim, randn, scope } from "../../torch/index.js";
import { applyCommon, type CommonOptions, int, UsageError, withCommon } from "../common.js";

interface MaeBenchOptions extends CommonOptions {
  model: string;
  patch: number;
  batch: number;
  steps: number;
  warmup: number;
  channels: number;
  tile: number;
  bf16: boolean;
  json: boolean;
  againstPytorch: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function benchHemoseg(o: MaeBenchOptions, device: "cpu" | "cuda"): { images_per_s: number; step_s: number } {
  const cfg = presetConfig(o.model, { patchSize: o.patch, numChannels: o.channels, imageSize: o.tile });
  const model = new ViTMAEForPreTraining(cfg).to(device).train();
  const opt = new optim.Adam(model.parameters(), { lr: 1e-5, betas: [0.9, 0.95] });
  const x = keep(randn([o.batch, o.channels, o.tile, o.tile], { device }));
  const sync = () => device === "cuda" && cuda.synchronize();
  const times: number[] = [];
  for (let i = 0; i < o.warmup + o.steps; i++) {
    sync();
    const t0 = performance.now();
    scope(() => {
      opt.zeroGrad();
      const run = () => model.forward({ pixelValues: x }).loss;
      const loss = o.bf16 ? autocast(device, run) : run();
      loss.backward();
      opt.step();
      loss.item();
    });
    sync();
    if (i >= o.warmup) times.push((performance.now() - t0) / 1000);
  }
  opt.dispose();
  model.dispose();
  x.dispose();
  const step = median(times);
  return { images_per_s: o.batch / step, step_s: step };
}

/** The Python whose torch package is this build's libtorch (else .venv's or python3), for PyTorch baselines. */
export function pythonWithTorch(): string {
  const candidates = [
    join(nativeInfo.libtorch.split("/lib/python")[0], "bin", "python"),
    ".venv/bin/python",
    "python3",
  ];
  for (const py of candidates) {
    if (py.includes("/") && !existsSync(py)) continue;
    try {
      execFileSync(py, ["-c", "import torch"], { stdio: "ignore" });
      return py;
    } catch {}
  }
  throw new UsageError("no Python with torch found for the PyTorch baseline (run scripts/setup.sh)");
}

function benchPytorch(o: MaeBenchOptions, device: string): { images_per_s: number; step_s: number } {
  const cfg = presetConfig(o.model, { patchSize: o.patch, numChannels: o.channels, imageSize: o.tile });
  const dir = mkdtempSync(join(tmpdir(), "hemoseg-bench-"));
  try {
    const cfgPath = join(dir, "config.json");
    writeFileSync(cfgPath, JSON.stringify(vitMaeConfigToHF(cfg)));
    const script = join(
      dirname(fileURLToPath(import.meta.url)),
      "..",
      "..",
      "..",
      "..",
      "bench",
      "mae_torch.py",
    );
    const args = [script, cfgPath, o.batch, o.steps, o.warmup, device, o.bf16 ? 1 : 0].map(String);
    const out = execFileSync(pythonWithTorch(), args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    return JSON.parse(out.trim().split("\n").pop()!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
    .action((o: MaeBenchOptions) => {
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
