// Options every command shares, and how they take effect.
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { cuda, manualSeed, setNumThreads } from "../torch/index.js";
import { launchLocal } from "../torch/launch.js";
import { intOption } from "./numeric.js";

export interface CommonOptions {
  seed: number;
  device: "cpu" | "cuda";
  threads?: number;
}

export function withCommon(cmd: Command): Command {
  return cmd
    .addOption(intOption("--seed <n>", "random seed", { min: 0 }, 0))
    .option("--device <device>", "cpu or cuda", "cpu")
    .addOption(intOption("--threads <n>", "CPU threads for libtorch (default: all cores)", { min: 1 }));
}

/** Applies seed, threads and device checks; returns the device to use. */
export function applyCommon(o: CommonOptions): "cpu" | "cuda" {
  if (o.device !== "cpu" && o.device !== "cuda")
    throw new UsageError(`--device must be cpu or cuda, not '${o.device}'`);
  if (o.device === "cuda" && !cuda.isAvailable()) {
    throw new UsageError(
      "--device cuda: this libtorch has no CUDA device (build against a CUDA libtorch: LIBTORCH=...)",
    );
  }
  if (o.threads !== undefined) setNumThreads(o.threads);
  manualSeed(o.seed);
  return o.device;
}

export { UsageError } from "../errors.js";

export const list = (v: string): string[] =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** --nproc: data parallel training in N local worker processes. */
export function withLaunch(cmd: Command): Command {
  return cmd.addOption(
    intOption(
      "--nproc <n>",
      "train data parallel in n local processes (the batch is the global batch; torchrun's RANK, WORLD_SIZE, MASTER_ADDR... are honoured too)",
      { min: 1 },
      1,
    ),
  );
}

/**
 * With --nproc n > 1, runs this same command line in n workers with torchrun's environment and
 * returns true (the exit code is theirs); false when this process should do the work itself.
 * `batch`, the global batch, must split evenly among the workers.
 */
export async function launched(
  o: { nproc?: number; device?: string },
  batch?: { option: string; value: number },
): Promise<boolean> {
  const n = o.nproc ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--nproc must be a positive integer, not ${n}`);
  if (n === 1) return false;
  if (batch && batch.value % n !== 0)
    throw new UsageError(
      `${batch.option} ${batch.value} is the global batch: with --nproc ${n} it must be a multiple of ${n}`,
    );
  if (process.env.WORLD_SIZE)
    throw new UsageError(
      "--nproc: this process is already a worker of torchrun or --nproc (WORLD_SIZE is set)",
    );
  if (o.device === "cuda" && cuda.isAvailable() && cuda.deviceCount() < n)
    throw new UsageError(`--nproc ${n} --device cuda: only ${cuda.deviceCount()} CUDA device(s)`);
  const args: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--nproc") i++;
    else if (!argv[i].startsWith("--nproc=")) args.push(argv[i]);
  }
  const r = await launchLocal({
    nproc: n,
    command: process.execPath,
    args: [...process.execArgv, process.argv[1], ...args],
  });
  if (r.code !== 0) {
    process.stderr.write(`hemoseg: --nproc ${n}: rank ${r.failedRank} failed (exit code ${r.code})\n`);
    process.exitCode = r.code;
  }
  return true;
}

/** Whether this process prints results: a single process, or rank 0 of a distributed run. */
export function isMainRank(): boolean {
  return (process.env.RANK ?? "0") === "0";
}
