// Shared by the benchmarks that run a PyTorch baseline beside hemoseg: the spec handed to
// bench/epoch_torch.py, and medians and spread over alternating rounds.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { getNumThreads, stopOpProfile } from "../torch/index.js";
import { pythonWithTorch } from "./bench-mae.js";
import { mergeOpTables, type OpTable, opTableFromPython } from "./op-profile.js";

/** One run's throughput, and its op table when profiled. */
export interface StepBench {
  images_per_s: number;
  step_s: number;
  ops?: OpTable;
}

/** Stops the op profiler started before the timed steps: their table. */
export function stepOpTable(times: number[]): OpTable {
  return { steps: times.length, wallMs: times.reduce((a, b) => a + b, 0) * 1000, ops: stopOpProfile() };
}

/** A PyTorch run's JSON line as a StepBench (its op table, if it printed one). */
export function torchStepBench(out: Record<string, unknown>, source: string): StepBench {
  return {
    images_per_s: out.images_per_s as number,
    step_s: out.step_s as number,
    ops: out.op_profile === undefined ? undefined : opTableFromPython(out.op_profile, source),
  };
}

/** One PyTorch run of bench/epoch_torch.py (an epoch on a dataset, or a timed step); its JSON line. */
export function runTorchSpec(
  spec: Record<string, unknown>,
): { images_per_s: number } & Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), "hemoseg-bench-"));
  try {
    const specPath = join(dir, "spec.json");
    writeFileSync(specPath, JSON.stringify(spec));
    const script = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "bench", "epoch_torch.py");
    const out = execFileSync(pythonWithTorch(), [script, specPath], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    return JSON.parse(out.trim().split("\n").pop()!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Median, lowest and highest of a sample. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  const r = (v: number) => +v.toFixed(3);
  return { median: r(mid), min: r(s[0]), max: r(s[s.length - 1]), n: s.length };
}

/** Rounds of alternating runs: every runner once per round, in turn, so load drifts hit all alike. */
export function alternate(
  runners: Record<string, () => number>,
  rounds: number,
  onRun?: (name: string, round: number, value: number) => void,
): Record<string, number[]> {
  const got: Record<string, number[]> = Object.fromEntries(Object.keys(runners).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of Object.entries(runners)) {
      const v = run();
      got[name].push(v);
      onRun?.(name, r, v);
    }
  }
  return got;
}

/** Alternating rounds of step benchmarks: images/s per runner, and each runner's op tables merged over its rounds. */
export function alternateSteps(
  runners: Record<string, () => StepBench>,
  rounds: number,
  onRun?: (name: string, round: number, value: number) => void,
): { got: Record<string, number[]>; tables: Record<string, OpTable> } {
  const tables: Record<string, OpTable> = {};
  const wrapped = Object.fromEntries(
    Object.entries(runners).map(([name, f]) => [
      name,
      () => {
        const r = f();
        if (r.ops) tables[name] = mergeOpTables(tables[name], r.ops);
        return r.images_per_s;
      },
    ]),
  );
  return { got: alternate(wrapped, rounds, onRun), tables };
}

/**
 * Summary of alternating rounds: each runner's spread, and hemoseg's per-round ratio against the
 * fastest PyTorch runner of that round (higher = hemoseg faster).
 */
export function summarise(got: Record<string, number[]>, ours = "hemoseg"): Record<string, unknown> {
  const others = Object.keys(got).filter((k) => k !== ours);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(got)) out[k] = spread(v);
  if (others.length) {
    const med = (k: string) => spread(got[k]).median;
    const fastest = others.reduce((a, b) => (med(b) > med(a) ? b : a));
    out.fastest_pytorch = fastest;
    const ratios = got[ours].map((v, i) => v / Math.max(...others.map((k) => got[k][i])));
    out.ratio_per_round = spread(ratios);
    out.ratio_of_medians = +(med(ours) / med(fastest)).toFixed(3);
  }
  return out;
}

/** The fields every PyTorch training-step spec shares (bench/epoch_torch.py's "step" mode). */
export function stepSpec(
  o: { batch: number; channels: number; tile: number; steps: number; warmup: number; profileOps?: boolean },
  variant: string,
  lr: number,
  config: Record<string, unknown>,
): Record<string, unknown> {
  const { batch, channels, tile, steps, warmup, profileOps } = o;
  return {
    variant,
    mode: "step",
    config,
    batch,
    channels,
    tile,
    steps,
    warmup,
    threads: getNumThreads(),
    seed: 0,
    lr,
    betas: [0.9, 0.95],
    profile_ops: profileOps ?? false,
  };
}
