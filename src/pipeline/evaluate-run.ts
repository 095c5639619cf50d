// Evaluating a segmentation run: its best checkpoint on a split, written as JSON, CSV and heatmaps.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { IGNORE_INDEX, openDataset } from "../data/dataset.js";
import { ConfusionMatrix } from "../eval/confusion.js";
import { evaluateSegmenter } from "../eval/evaluate.js";
import { confusionToCsv, reportToCsv } from "../eval/format.js";
import { type ClassificationReport, classificationReport } from "../eval/report.js";
import { writeFileAtomic } from "../io/atomic.js";
import { isJsonObject, jsonFile } from "../io/json.js";
import { loadSegmenter, readRunInfo } from "../train/run-info.js";
import { confusionHeatmapPng } from "../viz/heatmap.js";

export interface RunEvaluation {
  split: string;
  sparse: { report: ClassificationReport; confusion: number[][] };
  full?: { report: ClassificationReport; confusion: number[][] };
}

/** evaluation.json: the classification reports and confusion counts on the sparse labels and, where the dataset has them, the full masks. */
export const EVALUATION = jsonFile<RunEvaluation>(
  "evaluation.json",
  (f) => {
    f.text("split");
    for (const k of ["sparse", "full"]) {
      const part = f.json[k];
      if ((k === "sparse" || part !== undefined) && !(isJsonObject(part) && isJsonObject(part.report)))
        f.problems.push(`'${k}' must hold a report and a confusion matrix`);
    }
    return f.json as unknown as RunEvaluation;
  },
  1,
);

/** Evaluates runDir's best checkpoint on a split and writes JSON, CSV and heatmaps to outDir. */
export async function evaluateRun(
  runDir: string,
  o: { split: "train" | "val" | "test"; data?: string; device: "cpu" | "cuda"; outDir?: string },
): Promise<RunEvaluation> {
  const info = readRunInfo(runDir);
  const ds = openDataset(o.data ?? info.data);
  const model = loadSegmenter(runDir).to(o.device);
  try {
    const r = await evaluateSegmenter(model, ds, { split: o.split, tile: info.tile, device: o.device });
    const names = ds.meta.classes;
    const pack = (cm: number[][]) => ({ report: classificationReport(cm, names), confusion: cm });
    const ev: RunEvaluation = {
      split: o.split,
      sparse: pack(r.sparse.counts),
      full: r.full ? pack(r.full.counts) : undefined,
    };
    const out = o.outDir ?? join(runDir, `eval-${o.split}`);
    mkdirSync(out, { recursive: true });
    EVALUATION.write(out, ev);
    for (const [kind, part] of [
      ["sparse", ev.sparse],
      ["full", ev.full],
    ] as const) {
      if (!part) continue;
      writeFileAtomic(join(out, `report-${kind}.csv`), reportToCsv(part.report));
      writeFileAtomic(join(out, `confusion-${kind}.csv`), confusionToCsv(part.confusion, names));
      const cm = ConfusionMatrix.fromJSON({
        numClasses: names.length,
        ignoreIndex: IGNORE_INDEX,
        counts: part.confusion,
      });
      writeFileAtomic(
        join(out, `confusion-${kind}-normalised.csv`),
        confusionToCsv(cm.rowNormalised(), names),
      );
      writeFileAtomic(
        join(out, `confusion-${kind}.png`),
        confusionHeatmapPng(part.confusion, names, { normalise: true }),
      );
    }
    return ev;
  } finally {
    model.dispose();
    ds.close();
  }
}
