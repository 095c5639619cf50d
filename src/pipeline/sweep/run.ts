// Running a sweep: synthetic data once, each point's pre-training (shared), fine-tuning and test
// evaluation, resuming or restarting interrupted runs, results rewritten after every point.
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { synthDatasets } from "../../data/synth-datasets.js";
import { resolveDir, writeFileAtomic } from "../../io/atomic.js";
import { readJson, writeJson } from "../../io/json.js";
import { finetune } from "../../train/finetune.js";
import { Interrupted } from "../../train/interrupt.js";
import { pretrain } from "../../train/pretrain.js";
import { evaluateRun } from "../evaluate-run.js";
import type { SweepPlan, SweepPoint } from "./plan.js";
import { readRow, type SweepRow, writeResults } from "./results.js";
import { stableJson } from "./spec.js";
import {
  FINETUNE_RECORD,
  finetuneStatus,
  POINT_FILE,
  planStatus,
  pointRecord,
  pretrainStatus,
  type StageStatus,
  TIMING,
} from "./status.js";

export interface RunSweepOptions {
  device: "cpu" | "cuda";
  /** Continue interrupted runs from their last checkpoint instead of restarting them. */
  resume: boolean;
  /** Leave interrupted runs as they are (rows marked incomplete); train only points never started. */
  onlyMissing: boolean;
  /**
   * Train only the points of shard `index` of `count` (points sharing a pre-training fall in the
   * same shard), so that several processes can share one sweep folder; results list every point
   * as its run directory holds it.
   */
  shard?: { index: number; count: number };
  /** false: only the data, sweep.json and the results of what is on disk; train nothing. */
  train?: boolean;
  log?: (msg: string) => void;
}

/** Which shard a point belongs to: its pre-training's order among the sweep's, or its own for none. */
export function shardOf(plan: SweepPlan, count: number): number[] {
  const groups = new Map<string, number>();
  return plan.points.map((p) => {
    const key = p.pretrainDir ?? p.runDir;
    if (!groups.has(key)) groups.set(key, groups.size);
    return groups.get(key)! % count;
  });
}

export interface SweepOutcome {
  rows: SweepRow[];
  aggregated: SweepRow[] | null;
  markdown: string;
  /** Work done in this call (0 everywhere on a finished sweep). */
  trained: { pretrain: number; finetune: number; evaluate: number };
  failed: number;
}

/** CPU seconds (user + system, every thread of this process) since `from`. */
const cpuSeconds = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
};

/** Creates the synthetic data once (recorded in data/synth.json); other data must already exist. */
function ensureData(plan: SweepPlan, log: (m: string) => void): void {
  const synth = plan.data.synth;
  if (!synth) return;
  const dir = join(plan.out, "data");
  const rec = join(dir, "synth.json");
  if (existsSync(rec)) {
    if (stableJson(readJson(rec)) === stableJson(synth)) return;
    throw new Error(
      `${rec}: this folder's synthetic data was made with ${stableJson(readJson(rec))}, not ${stableJson(synth)}; use another --out`,
    );
  }
  log(`synthetic data: ${stableJson(synth)}`);
  synthDatasets({ ...synth, out: dir, overwrite: true });
  writeFileAtomic(rec, `${stableJson(synth)}\n`);
}

export async function runSweep(plan: SweepPlan, o: RunSweepOptions): Promise<SweepOutcome> {
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const shards = o.shard ? shardOf(plan, o.shard.count) : null;
  const mine = (i: number) => !shards || shards[i] === o.shard!.index;
  const status = planStatus(plan);
  // Another shard's point may be mid-start (its folder made, point.json not yet): only ours count.
  const conflicts = status.filter((s, i) => s.finetune === "conflict" && mine(i));
  if (conflicts.length)
    throw new Error(
      `sweep ${plan.out}: ${conflicts.map((c) => c.why).join("\n")}\n(delete those dirs or use another --out)`,
    );
  mkdirSync(plan.out, { recursive: true });
  writeFileAtomic(
    join(plan.out, "sweep.json"),
    `${JSON.stringify({ title: plan.title, spec: plan.spec, points: plan.points.map((p) => ({ name: p.name, values: p.values, runDir: relative(plan.out, p.runDir), pretrainDir: p.pretrainDir && relative(plan.out, p.pretrainDir) })) }, null, 1)}\n`,
  );
  ensureData(plan, log);
  const trained = { pretrain: 0, finetune: 0, evaluate: 0 };
  const rows = plan.points.map((p) => readRow(plan, p));
  const pretrainFailures = new Map<string, string>();
  let failed = 0;
  // Other shards' points are read back from disk at every save, as their processes left them.
  const save = () =>
    writeResults(
      plan,
      rows.map((r, i) => (mine(i) ? r : readRow(plan, plan.points[i]))),
    );

  const prepare = (dir: string, st: StageStatus, what: string): boolean => {
    if (st !== "partial") return false;
    if (o.resume && resolveDir(join(dir, "last"))) {
      log(`${what}: resuming the interrupted run in ${dir}`);
      return true;
    }
    log(`${what}: restarting the interrupted run in ${dir} (--resume continues it instead)`);
    rmSync(dir, { recursive: true, force: true });
    return false;
  };

  const ensurePretrain = async (p: SweepPoint, label: string) => {
    const dir = p.pretrainDir!;
    const failure = pretrainFailures.get(dir);
    if (failure) throw new Error(`its pre-training failed: ${failure}`);
    const st = pretrainStatus(dir);
    if (st === "done") return;
    const resume = prepare(dir, st, `${label} pre-training`);
    log(`${label}: pre-training ${relative(plan.out, dir)}`);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    try {
      await pretrain({ ...p.pretrain!, data: plan.data.pretrain!, out: dir, device: o.device, resume });
    } catch (e) {
      pretrainFailures.set(dir, (e as Error).message);
      throw e;
    }
    TIMING.write(dir, { seconds: (performance.now() - t0) / 1000, cpu_seconds: cpuSeconds(c0) });
    trained.pretrain++;
  };

  for (const [i, { point: p, finetune: fst }] of status.entries()) {
    const label = `[${i + 1}/${plan.points.length}] ${p.name}`;
    if (rows[i].status === "done" || !mine(i) || o.train === false) continue;
    const partial =
      fst === "partial" || (p.pretrainDir !== null && pretrainStatus(p.pretrainDir) === "partial");
    if (o.onlyMissing && partial) {
      log(`${label}: interrupted run left as it is (--only-missing)`);
      rows[i].status = "incomplete";
      continue;
    }
    try {
      if (p.pretrainDir) await ensurePretrain(p, label);
      if (p.finetune) {
        const st = finetuneStatus(plan, p).status;
        if (st !== "trained") {
          const resume = prepare(p.runDir, st, `${label} fine-tuning`);
          mkdirSync(p.runDir, { recursive: true });
          writeJson(join(p.runDir, POINT_FILE), pointRecord(plan, p), 1);
          log(
            `${label}: fine-tuning ${p.finetune.arch}${p.pretrainDir ? " from the pre-trained encoder" : " from scratch"}`,
          );
          const t0 = performance.now();
          const c0 = process.cpuUsage();
          const r = await finetune({
            ...p.finetune,
            data: plan.data.segmentation!,
            out: p.runDir,
            encoder: p.pretrainDir ? join(p.pretrainDir, "best") : undefined,
            device: o.device,
            resume,
            quiet: true,
          });
          const seconds = (performance.now() - t0) / 1000;
          FINETUNE_RECORD.write(p.runDir, {
            bestEpoch: r.bestEpoch,
            bestValLoss: r.bestValLoss,
            seconds,
            cpu_seconds: cpuSeconds(c0),
          });
          trained.finetune++;
        }
        log(`${label}: evaluating on the test split`);
        await evaluateRun(p.runDir, { split: "test", device: o.device });
        trained.evaluate++;
      }
      rows[i] = readRow(plan, p);
    } catch (e) {
      if (e instanceof Interrupted) throw e; // Ctrl-C stops the sweep, not just this point
      failed++;
      const msg = (e as Error).message.split("\n")[0];
      log(`${label}: FAILED: ${(e as Error).message}`);
      rows[i].status = `failed: ${msg}`;
    }
    save();
  }
  const { aggregated, markdown } = save();
  return { rows, aggregated, markdown, trained, failed };
}
