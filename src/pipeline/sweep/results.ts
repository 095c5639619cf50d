// A sweep's results: one row per point read back from its run directories, results.csv/.md/.json,
// the mean ± std over seed axes, and the report's tables.
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { writeFileAtomic } from "../../io/atomic.js";
import { readJsonObject, writeJson } from "../../io/json.js";
import { PRETRAIN_SUMMARY } from "../../train/pretrain.js";
import type { CurvePlot } from "../../viz/curve-chart.js";
import { curveSvg } from "../../viz/curve-chart.js";
import { EVALUATION } from "../evaluate-run.js";
import { writeCurves } from "./curves.js";
import type { SweepPlan, SweepPoint } from "./plan.js";
import { type Budget, budgetText, type SweepSpec, stableJson } from "./spec.js";
import { FINETUNE_RECORD, finetuneStatus, pretrainStatus, TIMING } from "./status.js";

/** Axis keys that vary the random seed: the aggregated table averages over them. */
const SEED_AXES = new Set(["seed", "pretrain.seed", "finetune.seed"]);

export type SweepRow = Record<string, string | number | null>;

const f1Column = (cls: string) => `f1_${cls.replace(/\W+/g, "_")}`;

/** A point's row from what its run dirs hold (metrics null where missing). */
export function readRow(plan: SweepPlan, p: SweepPoint): SweepRow {
  const row: SweepRow = { point: p.name };
  for (const a of plan.axes) {
    const v = p.values[a.key];
    row[a.label] =
      v === undefined ? null : Array.isArray(v) ? v.join(",") : typeof v === "number" ? v : String(v);
  }
  row.status = "pending";
  const pre =
    p.pretrainDir && pretrainStatus(p.pretrainDir) === "done" ? PRETRAIN_SUMMARY.read(p.pretrainDir) : null;
  row.mae_val_loss = pre?.bestValLoss ?? null;
  row.mae_test_loss = pre?.testLoss ?? null;
  if (!p.finetune) {
    row.mae_best_epoch = pre?.bestEpoch ?? null;
    const t =
      p.pretrainDir && existsSync(join(p.pretrainDir, TIMING.name)) ? TIMING.read(p.pretrainDir) : null;
    row.seconds = t?.seconds ?? null;
    row.cpu_seconds = t && t.cpu_seconds >= 0 ? t.cpu_seconds : null;
    if (pre) row.status = "done";
  } else {
    Object.assign(row, {
      best_val_loss: null,
      test_accuracy: null,
      macro_f1: null,
      platelet_f1: null,
      full_macro_f1: null,
    });
    if (finetuneStatus(plan, p).status === "done") {
      const ft = FINETUNE_RECORD.read(p.runDir);
      const ev = EVALUATION.read(join(p.runDir, "eval-test"));
      const rep = ev.sparse.report;
      Object.assign(row, {
        best_val_loss: ft.bestValLoss,
        test_accuracy: rep.accuracy,
        macro_f1: rep.macro.f1,
        platelet_f1: rep.perClass.platelet?.f1 ?? null,
        full_macro_f1: ev.full?.report.macro.f1 ?? null,
      });
      for (const [cls, s] of Object.entries(rep.perClass)) row[f1Column(cls)] = s.f1;
      row.seconds = ft.seconds;
      row.cpu_seconds = ft.cpu_seconds >= 0 ? ft.cpu_seconds : null;
      // The pre-training's own CPU time (shared by the points that use it).
      const pt =
        p.pretrainDir && existsSync(join(p.pretrainDir, TIMING.name)) ? TIMING.read(p.pretrainDir) : null;
      row.pretrain_cpu_seconds = pt && pt.cpu_seconds >= 0 ? pt.cpu_seconds : null;
      row.status = "done";
    }
  }
  row.run = relative(plan.out, p.runDir);
  return row;
}

const HEADERS: Record<string, string> = {
  mae_val_loss: "MAE val loss",
  mae_test_loss: "MAE test loss",
  mae_best_epoch: "MAE best epoch",
  best_val_loss: "val loss",
  test_accuracy: "accuracy",
  macro_f1: "macro F1",
  platelet_f1: "platelet F1",
  full_macro_f1: "macro F1 (full masks)",
  seconds: "seconds",
  cpu_seconds: "CPU s",
  pretrain_cpu_seconds: "MAE CPU s",
};
const METRICS = [
  "mae_val_loss",
  "mae_test_loss",
  "best_val_loss",
  "test_accuracy",
  "macro_f1",
  "platelet_f1",
  "full_macro_f1",
];

/** Metrics to 3 decimals (losses to 4 significant digits); axis values as they are. */
function cell(v: unknown, col: string): string {
  if (v === null || v === undefined) return "";
  if (typeof v !== "number" || !(Object.hasOwn(HEADERS, col) || col.startsWith("f1_"))) return String(v);
  if (Number.isInteger(v)) return String(v);
  if (/seconds/.test(col)) return v.toFixed(0);
  return /loss/.test(col) ? v.toPrecision(4) : v.toFixed(3);
}

export function markdownTable(
  rows: SweepRow[],
  cols: string[],
  header = (c: string) => HEADERS[c] ?? c,
): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(cols.map(header)),
    line(cols.map(() => "---")),
    ...rows.map((r) => line(cols.map((c) => cell(r[c], c)))),
  ].join("\n");
}

export function toCsv(rows: SweepRow[]): string {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const q = (v: unknown) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `${[cols.join(","), ...rows.map((r) => cols.map((c) => q(r[c])).join(","))].join("\n")}\n`;
}

const meanSd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return { m, sd };
};

/** Mean ± sample std over the seed axes of every metric, one row per setting of the other axes; null without a seed axis. */
export function aggregateOverSeeds(plan: Pick<SweepPlan, "axes">, rows: SweepRow[]): SweepRow[] | null {
  const seedAxes = plan.axes.filter((a) => SEED_AXES.has(a.key));
  if (!seedAxes.length) return null;
  const keep = plan.axes.filter((a) => !SEED_AXES.has(a.key)).map((a) => a.label);
  const groups = new Map<string, SweepRow[]>();
  for (const r of rows) {
    const k = stableJson(keep.map((c) => r[c]));
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const done = g.filter((r) => r.status === "done");
    const out: SweepRow = Object.fromEntries(keep.map((c) => [c, g[0][c]]));
    out.seeds = `${done.length}/${g.length}`;
    for (const c of METRICS) {
      const xs = done.map((r) => r[c]).filter((v): v is number => typeof v === "number");
      if (!xs.length) continue;
      const { m, sd } = meanSd(xs);
      out[c] = `${cell(m, c)} ± ${cell(sd, c)}`;
    }
    return out;
  });
}

function mainColumns(plan: Pick<SweepPlan, "axes" | "spec">, rows: SweepRow[]): string[] {
  const cols = plan.axes.map((a) => a.label);
  if (rows.some((r) => r.status !== "done")) cols.push("status");
  const used = (c: string) => rows.some((r) => r[c] !== null && r[c] !== undefined);
  const metrics = plan.spec.pretrainOnly
    ? ["mae_val_loss", "mae_test_loss", "mae_best_epoch", "seconds"]
    : METRICS;
  return [...cols, ...metrics.filter(used)];
}

/** results.md: the main table, per-class F1 and (with a seed axis) the aggregated table. */
export function sweepMarkdown(
  plan: Pick<SweepPlan, "axes" | "spec" | "title">,
  rows: SweepRow[],
  aggregated: SweepRow[] | null,
): string {
  const parts = [`# ${plan.title}`, ""];
  if (plan.spec.description) parts.push(plan.spec.description, "");
  parts.push(markdownTable(rows, mainColumns(plan, rows)), "");
  const perClass = [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => k.startsWith("f1_"))))];
  if (perClass.length) {
    parts.push(
      "## Per-class F1 (test split, sparse labels)",
      "",
      markdownTable(rows, [...plan.axes.map((a) => a.label), ...perClass], (c) =>
        c.replace(/^f1_/, "").replace(/_/g, " "),
      ),
      "",
    );
  }
  if (aggregated) {
    const cols = [...new Set(aggregated.flatMap((r) => Object.keys(r)))];
    parts.push("## Mean ± std over seeds", "", markdownTable(aggregated, cols), "");
  }
  return parts.join("\n");
}

/** Writes results.csv, results.md and results.json (what sweepSections reads). */
export function writeResults(
  plan: SweepPlan,
  rows: SweepRow[],
): { aggregated: SweepRow[] | null; markdown: string } {
  const aggregated = aggregateOverSeeds(plan, rows);
  const markdown = sweepMarkdown(plan, rows, aggregated);
  writeFileAtomic(join(plan.out, "results.csv"), toCsv(rows));
  writeFileAtomic(join(plan.out, "results.md"), markdown);
  const curves = writeCurves(plan, rows);
  const info = {
    title: plan.title,
    description: plan.spec.description,
    pretrainOnly: !!plan.spec.pretrainOnly,
    axes: plan.axes.map(({ key, label }) => ({ key, label })),
    budget: plan.spec.budget,
    rows,
    aggregated,
    curves: curves.length ? curves : undefined,
  };
  writeJson(join(plan.out, "results.json"), info, 1);
  return { aggregated, markdown };
}

/** A table for the HTML report (the shape of report-html's SweepSection). */
export interface SweepTable {
  title: string;
  caption?: string;
  markdownTable?: string;
  rows: Record<string, unknown>[];
  /** Inline SVG charts drawn above the table. */
  charts?: string[];
}

/** The report's sweep section(s) of a finished or running sweep folder: the main table, and the mean ± std table with a seed axis. */
export function sweepSections(outDir: string): SweepTable[] {
  const path = join(outDir, "results.json");
  if (!existsSync(path)) throw new Error(`${outDir}: not a sweep folder (no results.json)`);
  const info = readJsonObject(path) as unknown as {
    title: string;
    description?: string;
    pretrainOnly: boolean;
    axes: { key: string; label: string }[];
    budget?: Budget;
    rows: SweepRow[];
    aggregated: SweepRow[] | null;
    curves?: { metric: string; plot: CurvePlot }[];
  };
  const plan = {
    axes: info.axes.map((a) => ({ ...a, values: [] })),
    spec: { pretrainOnly: info.pretrainOnly } as SweepSpec,
    title: info.title,
  };
  const cols = mainColumns(plan, info.rows);
  const done = info.rows.filter((r) => r.status === "done").length;
  const caption = [
    info.description,
    `${done} of ${info.rows.length} points done; test split, sparse labels; ${budgetText(info.budget, info.pretrainOnly)}.`,
  ]
    .filter(Boolean)
    .join(" ");
  const pickCols = (r: SweepRow, cs: string[]) => Object.fromEntries(cs.map((c) => [HEADERS[c] ?? c, r[c]]));
  const sections: SweepTable[] = [
    {
      title: info.title,
      caption,
      markdownTable: markdownTable(info.rows, cols),
      rows: info.rows.map((r) => pickCols(r, cols)),
      charts: info.curves?.map((c) => curveSvg(c.plot)),
    },
  ];
  if (info.aggregated) {
    const acols = [...new Set(info.aggregated.flatMap((r) => Object.keys(r)))];
    sections.push({
      title: `${info.title}: mean ± std over seeds`,
      markdownTable: markdownTable(info.aggregated, acols),
      rows: info.aggregated.map((r) => pickCols(r, acols)),
    });
  }
  return sections;
}
