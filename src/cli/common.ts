// Options every command shares, and how they take effect.
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { cuda, manualSeed, setNumThreads } from "../torch/index.js";
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
