// Sweep points side by side, one worker process per device (`hemoseg sweep --devices 0,1,...`):
// the cheapest scaling for small models. Worker w of n runs this same command line with
// `--shard w/n` (points sharing a pre-training stay in one shard, which trains it once) on its
// device; the parent makes the data first and gathers the results after.
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import type { SweepPlan } from "./plan.js";
import { readRow } from "./results.js";
import { runSweep, type SweepOutcome, shardOf } from "./run.js";

/** A device slot: a CUDA device index, or "cpu" (one share of the CPU cores). */
export type Slot = number | "cpu";

/** Parses --devices: CUDA indices (with --device cuda) or "cpu" entries (with --device cpu). */
export function parseDevices(text: string, device: "cpu" | "cuda"): Slot[] {
  const items = text.split(",").map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === ""))
    throw new Error(`--devices '${text}': expected a comma-separated list like 0,1 or cpu,cpu`);
  return items.map((s) => {
    if (device === "cpu") {
      if (s !== "cpu")
        throw new Error(`--devices '${text}': with --device cpu every entry is 'cpu' (one worker each)`);
      return "cpu";
    }
    const k = Number(s);
    if (!Number.isInteger(k) || k < 0)
      throw new Error(`--devices '${text}': '${s}' is not a CUDA device index (with --device cuda)`);
    return k;
  });
}

/** The command line of worker w of n: argv without --devices (or --shard), plus --shard w/n. */
export function workerArgv(argv: readonly string[], w: number, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--devices" || argv[i] === "--shard") i++;
    else if (!argv[i].startsWith("--devices=") && !argv[i].startsWith("--shard=")) out.push(argv[i]);
  }
  return [...out, "--shard", `${w}/${n}`];
}

export interface DevicesOptions {
  device: "cpu" | "cuda";
  resume: boolean;
  onlyMissing: boolean;
  slots: Slot[];
  /** This command line (script and arguments, as process.argv.slice(1)). */
  argv: readonly string[];
  log?: (m: string) => void;
}

/**
 * Runs a sweep's points on several devices at once: the data and sweep.json first, then one worker
 * per slot on its shard (a slot whose shard is already done starts none), then the results of all.
 */
export async function runSweepOnDevices(
  plan: SweepPlan,
  o: DevicesOptions,
): Promise<SweepOutcome & { failedWorkers: number }> {
  const log = o.log ?? ((m: string) => process.stderr.write(`sweep: ${m}\n`));
  const base = { device: o.device, resume: o.resume, onlyMissing: o.onlyMissing, train: false };
  await runSweep(plan, base);
  const n = o.slots.length;
  const shards = shardOf(plan, n);
  const todo = Array.from({ length: n }, (_, w) =>
    plan.points.flatMap((p, i) => (shards[i] === w && readRow(plan, p).status !== "done" ? [i] : [])),
  );
  const threads = String(Math.max(1, Math.floor(availableParallelism() / n)));
  const runs = o.slots.map((slot, w) => {
    if (!todo[w].length) return Promise.resolve(0);
    const env = { ...process.env };
    if (slot === "cpu") env.OMP_NUM_THREADS ??= threads;
    else env.CUDA_VISIBLE_DEVICES = String(slot);
    const where = slot === "cpu" ? `cpu worker ${w}` : `cuda:${slot}`;
    log(`${where}: shard ${w}/${n}, points ${todo[w].map((i) => i + 1).join(", ")}`);
    const child = spawn(process.execPath, [...process.execArgv, ...workerArgv(o.argv, w, n)], {
      env,
      stdio: "inherit",
    });
    return new Promise<number>((resolve) => {
      child.once("error", (e) => {
        log(`${where}: could not start: ${e.message}`);
        resolve(1);
      });
      child.once("exit", (code, sig) => {
        if (code !== 0) log(`${where}: ${sig ? `killed by ${sig}` : `exited with code ${code}`}`);
        resolve(code === 0 ? 0 : 1);
      });
    });
  });
  const failedWorkers = (await Promise.all(runs)).reduce((a, b) => a + b, 0);
  return { ...(await runSweep(plan, { ...base, onlyMissing: true })), failedWorkers };
}
