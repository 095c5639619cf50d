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
import {
  autocast,
  cuda,
  getNumThreads,
  keep,
  nativeInfo,
  optim,
  randn,
  scope,
  startOpProfile,
} from "../torch/index.js";
import {
  alternateSteps,
  runTorchSpec,
  type StepBench,
  spread,
  stepOpTable,
  stepSpec,
  torchStepBench,
} from "./bench-torch.js";
import { opProfiles } from "./op-profile.js";

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
  /** Profile the timed steps op by op (libtorch's profiler; torch.profiler on the PyTorch side). */
  profileOps?: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median seconds per ViTMAE training step (forward, backward, Adam) in hemoseg, and images/s. */
export function benchHemoseg(o: MaeBenchOptions, device: "cpu" | "cuda"): StepBench {
  const cfg = presetConfig(o.model, { patchSize: o.patch, numChannels: o.channels, imageSize: o.tile });
  const model = new ViTMAEForPreTraining(cfg).to(device).train();
  const opt = new optim.Adam(model.parameters(), { lr: 1e-5, betas: [0.9, 0.95] });
  const x = keep(randn([o.batch, o.channels, o.tile, o.tile], { device }));
  const sync = () => device === "cuda" && cuda.synchronize();
  const times: number[] = [];
  for (let i = 0; i < o.warmup + o.steps; i++) {
    if (o.profileOps && i === o.warmup) startOpProfile();
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
  const ops = o.profileOps ? stepOpTable(times) : undefined;
  opt.dispose();
  model.dispose();
  x.dispose();
  const step = median(times);
  return { images_per_s: o.batch / step, step_s: step, ops };
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
export function benchPytorch(o: MaeBenchOptions, device: string): StepBench {
  const cfg = presetConfig(o.model, { patchSize: o.patch, numChannels: o.channels, imageSize: o.tile });
  const dir = mkdtempSync(join(tmpdir(), "hemoseg-bench-"));
  try {
    const cfgPath = join(dir, "config.json");
    writeFileSync(cfgPath, JSON.stringify(vitMaeConfigToHF(cfg)));
    const script = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "bench", "mae_torch.py");
    const args = [script, cfgPath, o.batch, o.steps, o.warmup, device, o.bf16 ? 1 : 0, o.profileOps ? 1 : 0];
    const out = execFileSync(pythonWithTorch(), args.map(String), {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    return torchStepBench(JSON.parse(out.trim().split("\n").pop()!), "bench/mae_torch.py");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same step in a plain-PyTorch MAE (facebookresearch/mae layout; bench/torch_models.py), CPU fp32. */
export function benchPlainPytorch(o: MaeBenchOptions): StepBench {
  const cfg = presetConfig(o.model, { patchSize: o.patch, numChannels: o.channels, imageSize: o.tile });
  return torchStepBench(
    runTorchSpec(stepSpec(o, "mae-plain", 1e-5, vitMaeConfigToHF(cfg))),
    "bench/epoch_torch.py",
  );
}

/**
 * `hemoseg bench mae`: rounds of hemoseg's step, and with againstPytorch Hugging Face's and (CPU
 * fp32) the plain MAE's in turn; medians, per-round ratios to the faster PyTorch, and with
 * profileOps each side's op profile over all its rounds (op_profile).
 */
export function benchMae(
  o: MaeBenchOptions & { rounds: number; againstPytorch: boolean },
  device: "cpu" | "cuda",
): Record<string, unknown> {
  const runners: Record<string, () => StepBench> = { hemoseg: () => benchHemoseg(o, device) };
  if (o.againstPytorch) {
    runners["pytorch-hf"] = () => benchPytorch(o, device);
    if (device === "cpu" && !o.bf16) runners["pytorch-plain"] = () => benchPlainPytorch(o);
  }
  const { got, tables } = alternateSteps(runners, o.rounds);
  const ours = got.hemoseg;
  const hf = got["pytorch-hf"] ?? [];
  const plain = got["pytorch-plain"] ?? [];
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
  if (o.profileOps) row.op_profile = opProfiles(tables);
  return row;
}
