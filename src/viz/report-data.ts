// What the report shows, collected from run directories: run.json, metrics.jsonl, test.json,
// reconstructions/*.png (+ reconstruct.json), eval-test/evaluation.json and its heatmaps, and
// segmentation examples predicted with each segmentation run's best checkpoint.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import type { ClassificationReport } from "../eval/report.js";
import { isJsonObject, readJson } from "../io/json.js";
import { readMetrics } from "../train/metrics-log.js";
import { confusionHeatmapPng } from "./heatmap.js";
import type {
  ExampleGrid,
  ReportEvaluation,
  ReportImage,
  ReportInput,
  ReportRun,
  SummaryBlock,
} from "./report-html.js";
import { segmentationExamples } from "./segmentation-examples.js";

/** Every .png under dir, depth first, in name order. */
function pngsUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory()) return pngsUnder(p);
      return e.isFile() && e.name.toLowerCase().endsWith(".png") ? [p] : [];
    });
}

function checkReport(r: unknown, where: string): ClassificationReport {
  if (
    !isJsonObject(r) ||
    !isJsonObject(r.perClass) ||
    typeof r.accuracy !== "number" ||
    !isJsonObject(r.macro) ||
    !isJsonObject(r.weighted)
  )
    throw new Error(`${where}: not a classification report (perClass, accuracy, macro, weighted)`);
  return r as unknown as ClassificationReport;
}

function readEvaluation(path: string): ReportEvaluation {
  const ev = readJson(path);
  if (!isJsonObject(ev) || !isJsonObject(ev.sparse)) throw new Error(`${path}: no "sparse" evaluation`);
  const part = (k: "sparse" | "full") => {
    const p = ev[k] as Record<string, unknown>;
    const report = checkReport(p.report, `${path}: ${k}.report`);
    const cm = p.confusion;
    if (!Array.isArray(cm) || cm.some((row) => !Array.isArray(row)))
      throw new Error(`${path}: ${k}.confusion is not a matrix`);
    return { report, confusion: cm as number[][] };
  };
  return {
    split: typeof ev.split === "string" ? ev.split : "test",
    sparse: part("sparse"),
    ...(isJsonObject(ev.full) ? { full: part("full") } : {}),
  };
}

function readReconstructions(dir: string): ReportRun["reconstructions"] {
  const pngs = pngsUnder(dir);
  if (pngs.length === 0) return undefined;
  const metaPath = join(dir, "reconstruct.json");
  const meta = existsSync(metaPath) ? readJson(metaPath) : undefined;
  const m = isJsonObject(meta) ? meta : {};
  const images: ReportImage[] = pngs.map((p) => ({ png: readFileSync(p), caption: relative(dir, p) }));
  return {
    images,
    ...(typeof m.maskRatio === "number" ? { maskRatio: m.maskRatio } : {}),
    ...(typeof m.meanLoss === "number" ? { meanLoss: m.meanLoss } : {}),
    ...(typeof m.split === "string" ? { split: m.split } : {}),
  };
}

/** Everything the report shows of one run directory (no model is loaded here). */
export function readRunDir(dir: string, name = basename(resolve(dir))): ReportRun {
  const runJson = join(dir, "run.json");
  if (!existsSync(runJson)) throw new Error(`${dir}: not a hemoseg run directory (no run.json)`);
  const options = readJson(runJson);
  if (!isJsonObject(options) || typeof options.command !== "string")
    throw new Error(`${runJson}: not a run description (no "command")`);
  const run: ReportRun = {
    name,
    dir,
    command: options.command,
    options,
    metrics: readMetrics(join(dir, "metrics.jsonl")),
  };
  const testJson = join(dir, "test.json");
  if (existsSync(testJson)) {
    const t = readJson(testJson);
    if (isJsonObject(t)) run.test = t as ReportRun["test"];
  }
  run.reconstructions = readReconstructions(join(dir, "reconstructions"));
  const evalDir = join(dir, "eval-test");
  const evalJson = join(evalDir, "evaluation.json");
  if (existsSync(evalJson)) {
    const ev = readEvaluation(evalJson);
    run.evaluation = ev;
    const names = Object.keys(ev.sparse.report.perClass);
    const heatmap = (k: "sparse" | "full"): Buffer | undefined => {
      const png = join(evalDir, `confusion-${k}.png`);
      if (existsSync(png)) return readFileSync(png);
      const part = ev[k];
      return part ? confusionHeatmapPng(part.confusion, names, { normalise: true }) : undefined;
    };
    run.confusionImages = { sparse: heatmap("sparse"), full: heatmap("full") };
  }
  return run;
}

/** Short labels for the runs: base names, or paths relative to their common parent where those clash. */
export function runNames(dirs: string[]): string[] {
  const base = dirs.map((d) => basename(resolve(d)));
  const clash = new Set(base.filter((b, i) => base.indexOf(b) !== i));
  if (clash.size === 0) return base;
  const abs = dirs.map((d) => resolve(d));
  const parts = abs.map((a) => a.split("/"));
  let common = 0;
  while (parts.every((p) => p[common] === parts[0][common] && common < p.length - 1)) common++;
  return parts.map((p) => p.slice(common).join("/"));
}

export interface CollectOptions {
  title?: string;
  /** Test tiles per segmentation example grid (0: none). */
  examples: number;
  device?: "cpu" | "cuda";
  /** A summary.json (DESIGN §8) to show as a comparison table. */
  summary?: string;
  generated?: string;
}

/** Reads every run and predicts segmentation examples, grouping runs that share a dataset into one grid. */
export function collectReport(dirs: string[], o: CollectOptions): ReportInput {
  if (dirs.length === 0) throw new Error("report: no run directories given");
  for (const d of dirs)
    if (!existsSync(d) || !statSync(d).isDirectory()) throw new Error(`${d}: not a directory`);
  const names = runNames(dirs);
  const runs = dirs.map((d, i) => readRunDir(d, names[i]));
  const warnings: string[] = [];
  const examples: ExampleGrid[] = [];
  if (o.examples > 0) {
    const byData = new Map<string, ReportRun[]>();
    for (const r of runs) {
      if (r.command !== "finetune" && r.command !== "train-unet") continue;
      const data = r.options.data;
      if (typeof data !== "string") {
        warnings.push(`${r.dir}: run.json names no dataset, so no segmentation examples`);
        continue;
      }
      const key = resolve(data);
      byData.set(key, [...(byData.get(key) ?? []), r]);
    }
    for (const [data, group] of byData) {
      if (!existsSync(join(data, "dataset.json"))) {
        warnings.push(
          `${data}: dataset not found (named by ${group.map((r) => join(r.dir, "run.json")).join(", ")}); no segmentation examples for it`,
        );
        continue;
      }
      const ex = segmentationExamples(group, { data, count: o.examples, device: o.device });
      examples.push({
        title: byData.size > 1 ? `Test tiles of ${data}` : "Test tiles",
        png: ex.png,
        classes: ex.classes,
        caption: `${ex.tiles.length} test tiles of ${data} (those with the most classes in their ${ex.hasFull ? "full masks" : "labels"}), each a row: input in false colour | sparse labels over the dimmed input | ${ex.hasFull ? "full ground truth | " : ""}the prediction of ${group.map((r) => r.name).join(", ")} (best checkpoints).`,
      });
    }
  }
  let summaryTable: SummaryBlock | undefined;
  if (o.summary) {
    const s = readJson(o.summary);
    if (!isJsonObject(s)) throw new Error(`${o.summary}: not a JSON object`);
    const models = Object.fromEntries(
      Object.entries(s).filter(
        ([, v]) => isJsonObject(v) && (typeof v.accuracy === "number" || typeof v.macro_f1 === "number"),
      ),
    );
    if (Object.keys(models).length === 0) throw new Error(`${o.summary}: no model with accuracy or macro_f1`);
    summaryTable = {
      title: "Summary",
      caption: `From ${o.summary}.`,
      models: models as SummaryBlock["models"],
    };
  }
  return {
    title: o.title,
    generated: o.generated,
    runs,
    examples,
    ...(summaryTable ? { summaryTable } : {}),
    ...(warnings.length ? { warnings } : {}),
  };
}
