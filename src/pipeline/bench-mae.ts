// ViTMAE training-step throughput, in hemoseg and (for comparison) in Hugging Face's PyTorch ViTMAE.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../errors.js";
import { vitMaeConfigToHF } from "../models/hf-config.js";
import { presetConfig } from "../models/presets.js";
import { ViTMAEForPreTraining } from "../models/vitmae.js";
import { autocast, cuda, keep, nativeInfo, optim, randn, scope } from "../torch/index.js";
import { runTorchSpec, stepSpec } from "./bench-torch.js";

/** The shape of the benchmarked ViTMAE and of its training step. */
export interface MaeBenchOptions {
  model: string;
  patch: number;
  batch: number;
  steps: number;
  warmup: number;
  channels: number;
  tile: number;
  bf16: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median seconds per ViTMAE training step (forward, backward, Adam) in hemoseg, and images/s. */
export function benchHemoseg(
  o: MaeBenchOptions,
  device: "cpu" | "cuda",
): { images_per_s: number; step_s: number } {
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

/** The same step in Hugging Face's ViTMAE on PyTorch (bench/mae_torch.py). */
export function benchPytorch(o: MaeBenchOptions, device: string): { images_per_s: number; step_s: number } {
  const cfg = presetConfig(o.model, { patchSize: o.patch, numChannels: o.channels, imageSize: o.tile });
  const dir = mkdtempSync(join(tmpdir(), "hemoseg-bench-"));
  try {
    const cfgPath = join(dir, "config.json");
    writeFileSync(cfgPath, JSON.stringify(vitMaeConfigToHF(cfg)));
    const script = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "bench", "mae_torch.py");
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

/** The same step in a plain-PyTorch MAE (facebookresearch/mae layout; bench/torch_models.py), CPU fp32. */
export function benchPlainPytorch(o: MaeBenchOptions): { images_per_s: number } {
  const cfg = presetConfig(o.model, { patchSize: o.patch, numChannels: o.channels, imageSize: o.tile });
  return runTorchSpec(stepSpec(o, "mae-plain", 1e-5, vitMaeConfigToHF(cfg)));
}
