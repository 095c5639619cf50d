// hemoseg evaluate: classification report and confusion matrix of a segmentation run on a split.
import { join } from "node:path";
import type { Command } from "commander";
import { formatReport } from "../../eval/format.js";
import { evaluateRun } from "../../pipeline/evaluate-run.js";
import { applyCommon, type CommonOptions, withCommon } from "../common.js";

interface Opts extends CommonOptions {
  run: string;
  split: "train" | "val" | "test";
  data?: string;
  out?: string;
}

export function registerEvaluate(program: Command): void {
  withCommon(program.command("evaluate"))
    .description("per-class precision/recall/F1, accuracy, macro and weighted averages, confusion matrix")
    .requiredOption("--run <dir>", "a finetune or train-unet run directory")
    .option("--split <name>", "train, val or test", "test")
    .option("--data <dir>", "dataset (default: the one the run trained on)")
    .option("--out <dir>", "where to write JSON, CSV and PNG (default: <run>/eval-<split>)")
    .action(async (o: Opts) => {
      const device = applyCommon(o);
      const ev = await evaluateRun(o.run, { split: o.split, data: o.data, device, outDir: o.out });
      console.log(formatReport(ev.sparse.report, `${o.split} split, sparse labels`));
      if (ev.full)
        console.log(`\n${formatReport(ev.full.report, `${o.split} split, full ground-truth masks`)}`);
      console.log(
        `\nwritten: ${o.out ?? join(o.run, `eval-${o.split}`)}/ (evaluation.json, report-*.csv, confusion-*.csv (counts and row-normalised), confusion-*.png)`,
      );
    });
}
