// A sweep's curves: mean ± std over seeds of macro F1 against one axis (pre-training steps,
// labelled tiles), one series per setting of the other axes, and the points without that axis
// (scratch UNETR, U-Net) as flat references. Written next to the results as SVG and PNG.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../io/atomic.js";
import { readJsonObject } from "../../io/json.js";
import type { CurvePlot, CurveReference, CurveSeries } from "../../viz/curve-chart.js";
import { curvePng, curveSvg } from "../../viz/curve-chart.js";
import type { SweepPlan } from "./plan.js";
import type { SweepRow } from "./results.js";
import type { CurveSpec } from "./spec.js";

const SEED_AXES = new Set(["seed", "pretrain.seed", "finetune.seed"]);

/** The metrics drawn, each its own chart and files (curve-<metric>.svg/.png). */
export const CURVE_METRICS: Record<string, string> = {
  macro_f1: "macro F1, sparse test labels",
  full_macro_f1: "macro F1, full test masks",
};

const RECIPE_NAMES: Record<string, string> = {
  paper: "pre-trained UNETR",
  scratch: "scratch UNETR",
  unet: "U-Net",
};

const meanSd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean: m, sd, n: xs.length };
};

/** Training tiles of a segmentation dataset (what trainTiles 0 means), from its dataset.json. */
function trainTileCount(dir: string | undefined): number | null {
  const f = dir && join(dir, "dataset.json");
  if (!f || !existsSync(f)) return null;
  const meta = readJsonObject(f, "dataset description") as { split?: { train?: unknown[] } };
  return meta.split?.train?.length ?? null;
}

/** One plot per metric from the rows of a sweep with a curve spec; none without one. */
export function sweepCurves(
  plan: Pick<SweepPlan, "axes" | "spec" | "title" | "data">,
  rows: SweepRow[],
): { metric: string; plot: CurvePlot }[] {
  const c: CurveSpec | undefined = plan.spec.curve;
  if (!c) return [];
  const xAxis = plan.axes.find((a) => a.key === c.x);
  if (!xAxis) return [];
  const ignore = new Set(c.ignore ?? []);
  const others = plan.axes.filter((a) => a.key !== c.x && !SEED_AXES.has(a.key) && !ignore.has(a.key));
  const scale = plan.spec.budget?.scale ?? 1;
  const steps = plan.spec.budget?.pretrain?.maxSteps ?? 0;
  const allTiles = c.x === "finetune.trainTiles" ? trainTileCount(plan.data.segmentation) : null;
  const xOf = (v: number) => {
    if (c.x === "pretrain.epochs" && steps > 0) return Math.max(1, Math.round(v * scale)) * steps;
    if (c.x === "finetune.trainTiles" && v === 0 && allTiles) return allTiles;
    return v;
  };
  const nameOf = (r: SweepRow) =>
    others
      .filter((a) => r[a.label] !== null && r[a.label] !== undefined)
      .map((a) =>
        a.key === "recipe"
          ? (RECIPE_NAMES[String(r[a.label])] ?? `pre-trained UNETR, ${r[a.label]}`)
          : `${a.label} ${r[a.label]}`,
      )
      .join(", ") || "UNETR";
  return Object.entries(CURVE_METRICS).map(([metric, yLabel]) => {
    const series = new Map<string, Map<number, number[]>>();
    const refs = new Map<string, number[]>();
    for (const r of rows) {
      const y = r[metric];
      if (r.status !== "done" || typeof y !== "number") continue;
      const name = nameOf(r);
      const xv = r[xAxis.label];
      if (xv === null || xv === undefined) {
        refs.set(name, [...(refs.get(name) ?? []), y]);
        continue;
      }
      const x = xOf(Number(xv));
      const s = series.get(name) ?? new Map<number, number[]>();
      s.set(x, [...(s.get(x) ?? []), y]);
      series.set(name, s);
    }
    const plot: CurvePlot = {
      title: `${plan.title}`,
      xLabel: c.xLabel,
      yLabel: `${yLabel} (mean ± std over seeds)`,
      logX: c.logX,
      series: [...series].map(
        ([name, pts]): CurveSeries => ({
          name,
          points: [...pts].map(([x, ys]) => ({ x, ...meanSd(ys) })).sort((a, b) => a.x - b.x),
        }),
      ),
      references: [...refs].map(([name, ys]): CurveReference => ({ name, ...meanSd(ys) })),
    };
    if (allTiles)
      plot.xTicks = [...new Set(plot.series.flatMap((s) => s.points.map((p) => p.x)))]
        .sort((a, b) => a - b)
        .map((x) => ({ x, label: x === allTiles ? `all (${x})` : String(x) }));
    return { metric, plot };
  });
}

/** Writes curve-<metric>.svg and .png into the sweep folder; returns the plots. */
export function writeCurves(
  plan: Pick<SweepPlan, "axes" | "spec" | "title" | "data" | "out">,
  rows: SweepRow[],
): { metric: string; plot: CurvePlot }[] {
  const curves = sweepCurves(plan, rows);
  for (const { metric, plot } of curves) {
    writeFileAtomic(join(plan.out, `curve-${metric}.svg`), `${curveSvg(plot)}\n`);
    writeFileAtomic(join(plan.out, `curve-${metric}.png`), curvePng(plot).toPng());
  }
  return curves;
}
