// Which fine-tuning recipe makes pre-training pay? Trains UNETR from the demo's pre-trained ViTMAE
// with several recipes, UNETR from scratch and the U-Net, over seeds, on the demo's synthetic data
// with the same budget each, and prints test macro F1 (sparse labels and full masks), mean ± std.
// Usage: node dist/bench/recipes.js [--out DIR] [--seeds 0,1,2] [--epochs N]
// Resumable: finished runs (eval-test/evaluation.json present) are read back, not retrained, and
// interrupted ones continue from their last epoch.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { synthDatasets } from "../src/data/synth-datasets.js";
import { DEMO_SIZES, demoPretraining } from "../src/pipeline/demo.js";
import { evaluateRun, type RunEvaluation } from "../src/pipeline/evaluate-run.js";
import { FINETUNE_DEFAULTS, finetune } from "../src/train/finetune.js";
import { pretrain } from "../src/train/pretrain.js";
import { RECIPES, usesEncoder } from "../src/train/recipes.js";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const out = opt("--out", "runs/recipes");
const seeds = opt("--seeds", "0,1,2").split(",").map(Number);
const s = DEMO_SIZES.default;
const epochs = Number(opt("--epochs", String(s.ftEpochs)));

const only = opt("--recipes", Object.keys(RECIPES).join(",")).split(",");
for (const name of only)
  if (!Object.hasOwn(RECIPES, name))
    throw new Error(`--recipes: unknown recipe '${name}' (known: ${Object.keys(RECIPES).join(", ")})`);

async function main() {
  const data = existsSync(join(out, "data", "segmentation", "dataset.json"))
    ? {
        pretrain: { dir: join(out, "data", "pretrain") },
        segmentation: { dir: join(out, "data", "segmentation") },
      }
    : synthDatasets({ out: join(out, "data"), stacks: s.stacks, tiles: s.tiles, seed: 0 });
  const mae = join(out, "mae");
  if (!existsSync(join(mae, "test.json"))) {
    await pretrain({ ...demoPretraining(data.pretrain.dir, mae, "default"), overwrite: true });
  }
  const rows: Record<string, number | string>[] = [];
  for (const seed of seeds) {
    for (const name of only) {
      const { pretrained, ...r } = RECIPES[name];
      const arch = r.arch ?? "unetr";
      const dir = join(out, `${name}-seed${seed}`);
      const evalPath = join(dir, "eval-test", "evaluation.json");
      if (!existsSync(evalPath)) {
        const t0 = performance.now();
        await finetune({
          ...FINETUNE_DEFAULTS,
          model: "model2",
          patch: 4,
          featureSize: s.featureSize,
          epochs,
          data: data.segmentation.dir,
          out: dir,
          seed,
          ...r,
          arch,
          encoder: usesEncoder({ pretrained }, arch) ? join(mae, "best") : undefined,
          quiet: true,
          // an interrupted run continues from its last/; one that never saved starts over
          resume: existsSync(join(dir, "last")),
          overwrite: !existsSync(join(dir, "last")),
        });
        await evaluateRun(dir, { split: "test", device: "cpu" });
        writeFileSync(join(dir, "seconds.txt"), String((performance.now() - t0) / 1000));
      }
      const ev = JSON.parse(readFileSync(evalPath, "utf8")) as RunEvaluation;
      rows.push({
        recipe: name,
        seed,
        macro_f1: ev.sparse.report.macro.f1,
        accuracy: ev.sparse.report.accuracy,
        full_macro_f1: ev.full?.report.macro.f1 ?? Number.NaN,
        platelet_f1: ev.sparse.report.perClass.platelet?.f1 ?? Number.NaN,
      });
      console.log(JSON.stringify(rows[rows.length - 1]));
    }
  }
  const stat = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
    return `${m.toFixed(3)} ± ${sd.toFixed(3)}`;
  };
  const lines = [
    "| recipe | macro F1 (sparse) | accuracy | macro F1 (full masks) | platelet F1 |",
    "|---|---|---|---|---|",
  ];
  for (const name of only) {
    const rs = rows.filter((r) => r.recipe === name);
    const col = (k: string) => stat(rs.map((r) => r[k] as number));
    lines.push(
      `| ${name} | ${col("macro_f1")} | ${col("accuracy")} | ${col("full_macro_f1")} | ${col("platelet_f1")} |`,
    );
  }
  const table = `${lines.join("\n")}\n\n(${seeds.length} seeds, ${epochs} fine-tuning epochs each)\n`;
  writeFileSync(join(out, "results.md"), table);
  writeFileSync(join(out, "results.json"), JSON.stringify(rows, null, 1));
  console.log(table);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
