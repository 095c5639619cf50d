// hemoseg demo: the whole pipeline on built-in synthetic data, sized for a 2-core CPU, ending with
// a side-by-side table and DIR/summary.json (see pipeline/demo.ts).
import { join } from "node:path";
import type { Command } from "commander";
import { sideBySide } from "../../eval/format.js";
import type { ClassificationReport } from "../../eval/report.js";
import { DEMO_RECIPES, DEMO_SIZES, runDemo } from "../../pipeline/demo.js";
import type { RunEvaluation } from "../../pipeline/evaluate-run.js";
import { applyCommon, type CommonOptions, UsageError, withCommon } from "../common.js";

interface Opts extends CommonOptions {
  out: string;
  size: keyof typeof DEMO_SIZES;
  recipe: string;
}

export function registerDemo(program: Command): void {
  withCommon(program.command("demo"))
    .description("run the whole pipeline on synthetic data (about 15 minutes on 2 CPU cores)")
    .option("--out <dir>", "output folder", "demo-out")
    .option("--size <size>", "default or tiny (a smoke test)", "default")
    .option(
      "--recipe <name>",
      `fine-tuning recipe of the pre-trained UNETR: ${Object.keys(DEMO_RECIPES).join(" or ")}`,
      "paper",
    )
    .action(async (o: Opts) => {
      const device = applyCommon(o);
      if (!(o.recipe in DEMO_RECIPES))
        throw new UsageError(`--recipe must be ${Object.keys(DEMO_RECIPES).join(" or ")}`);
      if (!(o.size in DEMO_SIZES))
        throw new UsageError(`--size must be ${Object.keys(DEMO_SIZES).join(" or ")}`);
      const r = await runDemo({ out: o.out, size: o.size, seed: o.seed, device, recipe: o.recipe });
      const pick = (f: (e: RunEvaluation) => ClassificationReport | undefined) =>
        Object.fromEntries(Object.entries(r.evals).flatMap(([k, e]) => (f(e) ? [[k, f(e)!]] : [])));
      console.log(
        `\nTest split, sparse labels (the paper's protocol):\n${sideBySide(pick((e) => e.sparse.report))}`,
      );
      const full = pick((e) => e.full?.report);
      if (Object.keys(full).length) console.log(`Test split, full ground-truth masks:\n${sideBySide(full)}`);
      console.log(`summary: ${join(o.out, "summary.json")}  (${(r.seconds / 60).toFixed(1)} min)`);
      console.log(`report:  ${r.report}`);
    });
}
