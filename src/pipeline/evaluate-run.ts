// Evaluating a segmentation run: its best checkpoint on a split, written as JSON, CSV and heatmaps.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { IGNORE_INDEX, openDataset } from "../data/dataset.js";
import { ConfusionMatrix } from "../eval/confusion.js";
import { evaluateSegmenter } from "../eval/evaluate.js";
import { confusionToCsv, reportToCsv } from "../eval/format.js";
import { type ClassificationReport, classificationReport } from "../eval/report.js";
import { writeFileAtomic } from "../io/atomic.js";
import { loadSegmenter, readRunInfo } from "../train/run-info.js";
import { confusionHeatmapPng } from "../viz/heatmap.js";

export interface RunEvaluation {
  split: string;
  sparse: { report: ClassificationReport; confusion: number[][] };
  full?: { report: ClassificationReport; confusion: number[][] };
}

/** Evaluates runDir's best checkpoint on a split and writes JSON, CSV and heatmaps to outDir. */
export async function evaluateRun(
  runDir: string,
  o: { split: "train" | "val" | "test"; data?: string; device: "cpu" | "cuda"; outDir?: string },
): Promise<RunEvaluation> {
  const info = readRunInfo(runDir);
  const ds = openDataset(o.data ?? info.data);
  const model = loadSegmenter(runDir).to(o.device);
  try {
    const r = await evaluateSegmenter(model, ds, { split: o.split, device: o.device });
    const names = ds.meta.classes;
    const pack = (cm: number[][]) => ({ report: classificationReport(cm, names), confusion: cm });
    const ev: RunEvaluation = {
      split: o.split,
      sparse: pack(r.sparse.counts),
      full: r.full ? pack(r.full.counts) : undefined,
    };
    const out = o.outDir ?? join(runDir, `eval-${o.split}`);
    mkdirSync(out, { recursive: true });
    writeFileAtomic(join(out, "evaluation.json"), `${JSON.stringify(ev, null, 1)}\n`);
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
