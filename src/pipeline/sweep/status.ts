// Run bookkeeping: what each point's run directories hold (done, trained, partial, missing, or
// another run's settings), and the --dry-run listing.
import { existsSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { jsonFile, readJsonObject } from "../../io/json.js";
import { PRETRAIN_SUMMARY } from "../../train/pretrain.js";
import { EVALUATION } from "../evaluate-run.js";
import { dataId, type SweepPlan, type SweepPoint } from "./plan.js";
import { budgetText, isObject, stableJson } from "./spec.js";

/** <run>/finetune.json: how a point's fine-tuning ended. */
export const FINETUNE_RECORD = jsonFile(
  "finetune.json",
  (f) => ({
    bestEpoch: f.int("bestEpoch", undefined, -1),
    bestValLoss: f.numOrNull("bestValLoss"),
    seconds: f.num("seconds", undefined, 0, Number.POSITIVE_INFINITY),
    /** CPU seconds of the process (all threads); -1 where a run predates the field. */
    cpu_seconds: f.num("cpu_seconds", -1, -1, Number.POSITIVE_INFINITY),
  }),
  0,
);

/** <pretraining>/timing.json: how long a shared pre-training took. */
export const TIMING = jsonFile(
  "timing.json",
  (f) => ({
    seconds: f.num("seconds", undefined, 0, Number.POSITIVE_INFINITY),
    cpu_seconds: f.num("cpu_seconds", -1, -1, Number.POSITIVE_INFINITY),
  }),
  0,
);

/** <run>/point.json: the settings a point's run directory was made with (pointRecord). */
export const POINT_FILE = "point.json";

export type StageStatus = "done" | "trained" | "partial" | "missing" | "conflict";

/** What a point's fine-tuning dir must hold to be this point's run (written before training). */
export function pointRecord(plan: SweepPlan, p: SweepPoint) {
  return {
    name: p.name,
    values: p.values,
    finetune: p.finetune,
    encoder: p.pretrainDir ? basename(p.pretrainDir) : null,
    data: dataId(plan, "segmentation"),
  };
}

export function pretrainStatus(dir: string): StageStatus {
  if (existsSync(join(dir, PRETRAIN_SUMMARY.name))) return "done";
  return existsSync(dir) ? "partial" : "missing";
}

/** done: evaluated; trained: awaiting evaluation; partial: interrupted; conflict: the dir holds another run. */
export function finetuneStatus(plan: SweepPlan, p: SweepPoint): { status: StageStatus; why?: string } {
  if (!existsSync(p.runDir)) return { status: "missing" };
  const recPath = join(p.runDir, POINT_FILE);
  if (!existsSync(recPath))
    return { status: "conflict", why: `${p.runDir} exists but was not made by a sweep (no point.json)` };
  const have = readJsonObject(recPath);
  const want = pointRecord(plan, p) as Record<string, unknown>;
  if (stableJson(have) !== stableJson(want)) {
    const diff = (a: unknown, b: unknown, at: string): string[] =>
      isObject(a) && isObject(b)
        ? [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k) =>
            diff(a[k], b[k], at ? `${at}.${k}` : k),
          )
        : stableJson(a) === stableJson(b)
          ? []
          : [`${at} ${stableJson(a)} (wanted ${stableJson(b)})`];
    return {
      status: "conflict",
      why: `${p.runDir} holds a run with other settings: ${diff(have, want, "").join("; ")}`,
    };
  }
  if (
    existsSync(join(p.runDir, "eval-test", EVALUATION.name)) &&
    existsSync(join(p.runDir, FINETUNE_RECORD.name))
  )
    return { status: "done" };
  return { status: existsSync(join(p.runDir, FINETUNE_RECORD.name)) ? "trained" : "partial" };
}

/** The status of both stages of every point. */
export function planStatus(
  plan: SweepPlan,
): { point: SweepPoint; pretrain: StageStatus | null; finetune: StageStatus | null; why?: string }[] {
  return plan.points.map((p) => {
    const f = p.finetune ? finetuneStatus(plan, p) : null;
    return {
      point: p,
      pretrain: p.pretrainDir ? pretrainStatus(p.pretrainDir) : null,
      finetune: f?.status ?? null,
      why: f?.why,
    };
  });
}

/** One line per point: name, run dir and pre-training dir with their statuses (for --dry-run). */
export function formatPlan(plan: SweepPlan): string {
  const rel = (d: string) => relative(process.cwd(), d) || ".";
  const st = planStatus(plan);
  const pre = new Set(plan.points.flatMap((p) => (p.pretrainDir ? [p.pretrainDir] : []))).size;
  const width = Math.max(...plan.points.map((p) => p.name.length));
  const lines = st.map(({ point: p, pretrain, finetune, why }) => {
    const parts = [p.name.padEnd(width)];
    if (p.finetune) parts.push(`${rel(p.runDir)} [${finetune}${why ? `: ${why}` : ""}]`);
    parts.push(p.pretrainDir ? `pretrain ${rel(p.pretrainDir)} [${pretrain}]` : "no pre-training");
    return parts.join("  ");
  });
  return `${plan.title}: ${plan.points.length} points, ${pre} pre-training run${pre === 1 ? "" : "s"}; ${budgetText(plan.spec.budget, !!plan.spec.pretrainOnly)}\n${lines.join("\n")}\n`;
}
