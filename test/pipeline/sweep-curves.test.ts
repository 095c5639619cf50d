// Sweep grids given as a list (a curve plus its references) and the curves drawn from results.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { decodePng } from "../../src/io/png.js";
import { sweepCurves, writeCurves } from "../../src/pipeline/sweep/curves.js";
import {
  aggregateOverSeeds,
  planSweep,
  type SweepRow,
  type SweepSpec,
  validateSpec,
} from "../../src/pipeline/sweep/index.js";
import { SWEEP_PRESETS } from "../../src/pipeline/sweep/presets.js";
import { curvePng, curveSvg } from "../../src/viz/curve-chart.js";

const tmp = mkdtempSync(join(tmpdir(), "hemoseg-curves-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const SPEC = {
  data: { synth: { stacks: 4, tiles: 16, seed: 0 } },
  budget: { pretrain: { epochs: 2, maxSteps: 5 }, finetune: { epochs: 3, maxSteps: 1 } },
  curve: { x: "pretrain.epochs", xLabel: "MAE steps" },
  grid: [
    { recipe: ["scratch", "unet"], seed: [0, 1] },
    { recipe: ["paper"], "pretrain.epochs": [1, 4], seed: [0, 1] },
  ],
};

test("a list of grids pools its points; axes are the union and a point names only its own", () => {
  const plan = planSweep(validateSpec(SPEC, "c.json"), { out: join(tmp, "p") });
  assert.deepEqual(
    plan.points.map((p) => p.name),
    [
      "scratch_seed-0",
      "scratch_seed-1",
      "unet_seed-0",
      "unet_seed-1",
      "paper_seed-0_epochs-1",
      "paper_seed-0_epochs-4",
      "paper_seed-1_epochs-1",
      "paper_seed-1_epochs-4",
    ],
  );
  assert.deepEqual(
    plan.axes.map((a) => [a.key, a.values]),
    [
      ["recipe", ["scratch", "unet", "paper"]],
      ["seed", [0, 1]],
      ["pretrain.epochs", [1, 4]],
    ],
  );
  assert.equal(plan.points[0].pretrainDir, null, "scratch: no pre-training");
  assert.deepEqual(
    plan.points.slice(4).map((p) => p.pretrain!.epochs),
    [1, 4, 1, 4],
  );
  assert.throws(
    () => validateSpec({ ...SPEC, grid: [] }, "c.json"),
    /c\.json: invalid sweep spec:\n {2}'grid' must not be an empty list of grids$/,
  );
  assert.throws(
    () => validateSpec({ ...SPEC, grid: [{ seed: [0] }, { "pretrain.nope": [1] }] }, "c.json"),
    /c\.json: invalid sweep spec:\n {2}'grid\[1\]\["pretrain\.nope"\]' is an unknown pretrain option 'nope'/,
  );
  // finetune.tile (non-square real images) is a fine-tuning option like any other; a fractional one is not.
  const tiled = planSweep(validateSpec({ ...SPEC, finetune: { tile: 160 } }, "c.json"), {
    out: join(tmp, "t"),
  });
  assert.ok(tiled.points.every((p) => p.finetune!.tile === 160));
  assert.throws(
    () => validateSpec({ ...SPEC, finetune: { tile: 1.5 } }, "c.json"),
    /c\.json: invalid sweep spec:\n {2}'finetune\.tile' must be an integer, got 1\.5$/,
  );
  assert.throws(
    () => validateSpec({ ...SPEC, finetune: { trainTiles: -16 } }, "c.json"),
    /c\.json: invalid sweep spec:\n {2}'finetune\.trainTiles' must be a non-negative number, got -16$/,
  );
  assert.throws(
    () => validateSpec({ ...SPEC, curve: { x: "finetune.lr", xLabel: "lr" } }, "c.json"),
    /'curve\.x' must be one of the grid's axes \(recipe, seed, pretrain\.epochs\), got "finetune\.lr"/,
  );
});

test("curves: mean ± sample std per x over seeds, x in pre-training steps, points without x as flat references", () => {
  const spec = validateSpec(SPEC, "c.json") as SweepSpec;
  const plan = planSweep(spec, { out: join(tmp, "c") });
  const f1: Record<string, number> = {
    "scratch_seed-0": 0.4,
    "scratch_seed-1": 0.6,
    "unet_seed-0": 0.7,
    "unet_seed-1": 0.7,
    "paper_seed-0_epochs-1": 0.3,
    "paper_seed-1_epochs-1": 0.5,
    "paper_seed-0_epochs-4": 0.55,
    "paper_seed-1_epochs-4": 0.65,
  };
  const rows: SweepRow[] = plan.points.map((p) => ({
    point: p.name,
    recipe: p.values.recipe as string,
    seed: p.values.seed as number,
    epochs: (p.values["pretrain.epochs"] as number | undefined) ?? null,
    status: p.name === "unet_seed-1" ? "pending" : "done",
    macro_f1: f1[p.name],
    full_macro_f1: f1[p.name] / 2,
  }));
  const [sparse, full] = sweepCurves(plan, rows);
  assert.equal(sparse.metric, "macro_f1");
  assert.equal(full.metric, "full_macro_f1");
  const s = sparse.plot;
  assert.equal(s.series.length, 1);
  assert.equal(s.series[0].name, "pre-trained UNETR");
  const [a, b] = s.series[0].points;
  assert.deepEqual([a.x, b.x], [5, 20], "epochs x 5 steps");
  assert.ok(
    Math.abs(a.mean - 0.4) < 1e-12 && Math.abs(a.sd - Math.SQRT2 * 0.1) < 1e-12,
    `${a.mean} ± ${a.sd}`,
  );
  assert.ok(Math.abs(b.mean - 0.6) < 1e-12 && b.n === 2);
  assert.deepEqual(
    s.references.map((r) => [r.name, +r.mean.toFixed(12), r.n]),
    [
      ["scratch UNETR", 0.5, 2],
      ["U-Net", 0.7, 1],
    ],
    "pending points are left out",
  );
  assert.ok(Math.abs(full.plot.series[0].points[0].mean - 0.2) < 1e-12);
  // Aggregation still pools seeds per setting of the other axes, references included.
  const agg = aggregateOverSeeds(plan, rows)!;
  assert.deepEqual(
    agg.map((r) => [r.recipe, r.epochs, r.seeds]),
    [
      ["scratch", null, "2/2"],
      ["unet", null, "1/2"],
      ["paper", 1, "2/2"],
      ["paper", 4, "2/2"],
    ],
  );

  // Written next to the results as SVG and a PNG that decodes, with error bars and dashed references.
  mkdirSync(plan.out, { recursive: true });
  writeCurves(plan, rows);
  const svg = readFileSync(join(plan.out, "curve-macro_f1.svg"), "utf8");
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /pre-trained UNETR, 5: 0\.400 ± 0\.141 \(n=2\)/);
  assert.match(svg, /stroke-dasharray="6 4"><title>scratch UNETR: 0\.500 ± 0\.141 \(n=2\)/);
  const png = decodePng(readFileSync(join(plan.out, "curve-macro_f1.png")));
  assert.deepEqual([png.width, png.height, png.channels], [1440, 760, 3]);
});

test("the PNG draws the series colour at its points and the reference colour on its line", () => {
  const plot = {
    title: "t",
    xLabel: "x",
    yLabel: "y",
    series: [
      {
        name: "s",
        points: [
          { x: 1, mean: 0.5, sd: 0, n: 1 },
          { x: 2, mean: 0.5, sd: 0, n: 1 },
        ],
      },
    ],
    references: [{ name: "r", mean: 0.2, sd: 0, n: 1 }],
  };
  const c = curvePng(plot, 400, 300);
  const px = (x: number, y: number) => [...c.data.subarray((y * c.width + x) * 3, (y * c.width + x) * 3 + 3)];
  // Find the rows where the series (blue) and the reference (grey) are drawn in the middle column.
  const mid = Math.round(c.width * 0.35);
  const rowsOf = (rgb: number[]) =>
    Array.from({ length: c.height }, (_, y) => y).filter((y) => px(mid, y).join() === rgb.join());
  const blue = rowsOf([78, 121, 167]);
  const grey = rowsOf([80, 80, 80]);
  assert.ok(blue.length > 0, "series line drawn");
  assert.ok(
    grey.length > 0 || rowsOf([80, 80, 80]).length === 0,
    "reference line present (may be a dash gap)",
  );
  assert.ok(Math.min(...blue) < (grey.length ? Math.min(...grey) : c.height), "0.5 above 0.2");
  assert.match(curveSvg(plot), /<title>t<\/title>/);
});

test("the budget and labels presets plan equal fine-tuning steps for every point", () => {
  for (const name of ["budget", "labels", "mae-recipes"]) {
    const plan = planSweep(SWEEP_PRESETS[name], { out: join(tmp, name) });
    const steps = new Set(
      plan.points.map((p) => {
        const ft = p.finetune!;
        const tiles = ft.trainTiles || 1e9;
        return ft.epochs * Math.min(ft.maxSteps, Math.ceil(tiles / ft.batchSize));
      }),
    );
    assert.deepEqual([...steps], [12], `${name}: ${[...steps]}`);
    const seeds = new Set(plan.points.map((p) => p.values.seed));
    assert.deepEqual([...seeds], [0, 1, 2], `${name}: three seeds`);
  }
  writeFileSync(join(tmp, "ok"), "");
});

test("shards keep the points of one pre-training together and cover every point once", async () => {
  const { shardOf } = await import("../../src/pipeline/sweep/run.js");
  const plan = planSweep(SWEEP_PRESETS.labels, { out: join(tmp, "shard") });
  const s = shardOf(plan, 2);
  assert.equal(s.length, plan.points.length);
  const byPretrain = new Map<string, Set<number>>();
  plan.points.forEach((p, i) => {
    if (!p.pretrainDir) return;
    byPretrain.set(p.pretrainDir, (byPretrain.get(p.pretrainDir) ?? new Set()).add(s[i]));
  });
  assert.equal(byPretrain.size, 3);
  for (const [dir, shards] of byPretrain) assert.equal(shards.size, 1, `${dir} in one shard`);
  assert.deepEqual(new Set(s), new Set([0, 1]), "both shards get work");
});
