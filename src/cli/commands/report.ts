// hemoseg report: one self-contained HTML page from run directories.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import { writeFileAtomic } from "../../io/atomic.js";
import { sweepSections } from "../../pipeline/sweep/index.js";
import { collectReport } from "../../viz/report-data.js";
import { buildReport } from "../../viz/report-html.js";
import { applyCommon, type CommonOptions, UsageError, withCommon } from "../common.js";
import { intOption } from "../numeric.js";

interface Opts extends CommonOptions {
  runs: string[];
  out: string;
  title?: string;
  examples: number;
  summary?: string;
  sweeps?: string[];
}

export function registerReport(program: Command): void {
  withCommon(program.command("report"))
    .description(
      "one self-contained HTML page: configurations, curves, reconstructions, examples, reports, confusion matrices",
    )
    .requiredOption("--runs <dirs...>", "run directories (pretrain, finetune, train-unet)")
    .requiredOption("--out <file>", "the HTML file to write")
    .option("--title <text>", "page title", "hemoseg report")
    .addOption(
      intOption("--examples <n>", "test tiles per segmentation example grid (0: none)", { min: 0 }, 6),
    )
    .option("--summary <file>", "a summary.json (as hemoseg demo writes) to show as a comparison table")
    .option("--sweeps <dirs...>", "sweep folders (hemoseg sweep --out) to add as result tables")
    .action((o: Opts) => {
      const device = applyCommon(o);
      if (o.examples < 0) throw new UsageError(`--examples must be 0 or more, got ${o.examples}`);
      const input = collectReport(o.runs, {
        title: o.title,
        examples: o.examples,
        device,
        summary: o.summary,
        generated: new Date().toISOString().replace("T", " ").slice(0, 16),
      });
      input.sweeps = [...(input.sweeps ?? []), ...(o.sweeps ?? []).flatMap((d) => sweepSections(d))];
      const html = buildReport(input);
      mkdirSync(dirname(o.out), { recursive: true });
      writeFileAtomic(o.out, html);
      for (const w of input.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
      console.log(
        `written: ${o.out} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB, ${input.runs.length} runs)`,
      );
    });
}
