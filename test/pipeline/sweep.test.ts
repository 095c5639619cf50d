import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  aggregateOverSeeds,
  loadSpec,
  markdownTable,
  planStatus,
  planSweep,
  runSweep,
  SpecError,
  type SweepRow,
  type SweepSpec,
  sweepSections,
  validateSpec,
  withBudget,
} from "../../src/pipeline/sweep/index.js";
import { ROOT } from "../helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "hemoseg-sweep-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const SYNTH: SweepSpec["data"] = { synth: { stacks: 4, tiles: 16, seed: 0 } };

test("the grid expands to its cartesian product, first axis slowest, with readable names", () => {
  const spec = validateSpec(
    {
      data: SYNTH,
      pretrain: { model: "model2" },
      budget: { pretrain: { epochs: 2 }, finetune: { epochs: 3, maxSteps: 1 } },
      grid: { "pretrain.patch": [4, 8], "finetune.featureSize": [8, 16], seed: [0, 1] },
    },
    "t.json",
  );
  const plan = planSweep(spec, { out: join(tmp, "x") });
  assert.deepEqual(
    plan.points.map((p) => p.name),
    [
      "patch-4_featureSize-8_seed-0",
      "patch-4_featureSize-8_seed-1",
      "patch-4_featureSize-16_seed-0",
      "patch-4_featureSize-16_seed-1",
      "patch-8_featureSize-8_seed-0",
      "patch-8_featureSize-8_seed-1",
      "patch-8_featureSize-16_seed-0",
      "patch-8_featureSize-16_seed-1",
    ],
  );
  for (const p of plan.points) {
    assert.equal(p.runDir, join(plan.out, "runs", p.name));
    // seed sets both stages; the scratch shape of the UNETR follows the pre-training.
    assert.equal(p.pretrain!.seed, p.values.seed);
    assert.equal(p.finetune!.seed, p.values.seed);
    assert.equal(p.finetune!.patch, p.pretrain!.patch);
    assert.equal(p.finetune!.model, "model2");
    assert.equal(p.finetune!.featureSize, p.values["finetune.featureSize"]);
    assert.deepEqual([p.pretrain!.epochs, p.finetune!.epochs, p.finetune!.maxSteps], [2, 3, 1]);
    assert.match(p.pretrainDir!, new RegExp(`pretrain/model2-p${p.pretrain!.patch}-m0\\.5-[0-9a-f]{8}$`));
  }
  // Points differing only in fine-tuning share a pre-training: 2 patches x 2 seeds.
  const dirs = new Set(plan.points.map((p) => p.pretrainDir));
  assert.equal(dirs.size, 4);
  assert.equal(plan.points[0].pretrainDir, plan.points[2].pretrainDir);
  assert.notEqual(plan.points[0].pretrainDir, plan.points[1].pretrainDir);
  assert.notEqual(plan.points[0].pretrainDir, plan.points[4].pretrainDir);
});

test("pre-training cache keys are equal for equal options and differ otherwise", () => {
  const dirOf = (extra: Record<string, unknown>, grid: Record<string, unknown[]> = {}) =>
    planSweep(
      validateSpec({ data: SYNTH, pretrain: { model: "model1", patch: 4, ...extra }, grid }, "t.json"),
      { out: join(tmp, "k") },
    ).points[0].pretrainDir;
  const base = dirOf({ lr: 1e-3 });
  assert.equal(dirOf({ lr: 1e-3 }), base);
  assert.equal(
    dirOf({ lr: 1e-3 }, { "finetune.lr": [1e-4] }),
    base,
    "fine-tuning options do not touch the key",
  );
  assert.equal(dirOf({ lr: 1e-3, workers: 3 }), base, "loader threads do not change what is learnt");
  assert.equal(
    dirOf({}, { "pretrain.lr": [1e-3] }),
    base,
    "an axis value and a base option are the same option",
  );
  assert.notEqual(dirOf({ lr: 1e-4 }), base);
  assert.notEqual(dirOf({ lr: 1e-3, maskRatio: 0.75 }), base);
  assert.notEqual(dirOf({ lr: 1e-3, normPixLoss: false }), base);
  assert.notEqual(dirOf({ lr: 1e-3 }, { seed: [1] }), base);
  const otherData = planSweep(
    validateSpec(
      {
        data: { synth: { stacks: 5, tiles: 16 } },
        pretrain: { model: "model1", patch: 4, lr: 1e-3 },
        grid: {},
      },
      "t.json",
    ),
    { out: join(tmp, "k") },
  );
  assert.notEqual(otherData.points[0].pretrainDir, base, "other data, other pre-training");
});

test("recipes: scratch and U-Net points need no pre-training; budget overrides and scale apply", () => {
  const spec = validateSpec(
    {
      data: SYNTH,
      recipes: { mine: { lr: 1e-4, epochs: 7 } },
      budget: { finetune: { epochs: 4 } },
      grid: { recipe: ["paper", "scratch", "unet", "lrd-0.75", "mine"] },
    },
    "t.json",
  );
  const plan = planSweep(spec, { out: join(tmp, "r") });
  const by = Object.fromEntries(plan.points.map((p) => [p.name, p]));
  assert.deepEqual(Object.keys(by), ["paper", "scratch", "unet", "lrd-0.75", "mine"]);
  assert.ok(by.paper.pretrainDir && by["lrd-0.75"].pretrainDir === by.paper.pretrainDir);
  assert.equal(by.scratch.pretrainDir, null);
  assert.equal(by.unet.pretrainDir, null);
  assert.equal(by.unet.finetune!.arch, "unet");
  assert.equal(by["lrd-0.75"].finetune!.layerDecay, 0.75);
  assert.deepEqual([by.mine.finetune!.lr, by.mine.finetune!.epochs, by.paper.finetune!.epochs], [1e-4, 7, 4]);
  const scaled = planSweep(withBudget(spec, { epochs: 10, maxSteps: 3, scale: 0.5, pretrainEpochs: 6 }), {
    out: join(tmp, "r"),
  });
  const s = Object.fromEntries(scaled.points.map((p) => [p.name, p]));
  assert.deepEqual(
    [
      s.paper.finetune!.epochs,
      s.paper.finetune!.maxSteps,
      s.paper.pretrain!.epochs,
      s.paper.pretrain!.maxSteps,
    ],
    [5, 3, 3, 3],
  );
  assert.equal(s.mine.finetune!.epochs, 4, "a recipe's own epochs scale too");
});

test("spec errors name the spec file and the bad key", () => {
  const bad = (spec: unknown, re: RegExp) =>
    assert.throws(
      () => validateSpec(spec, "specs/bad.json"),
      (e: Error) => e instanceof SpecError && /^specs\/bad\.json: /.test(e.message) && re.test(e.message),
    );
  bad(
    { data: SYNTH, grid: { "finetune.featurSize": [8] } },
    /'grid\["finetune\.featurSize"\]' is an unknown finetune option 'featurSize' \(known: .*featureSize/,
  );
  bad(
    { data: SYNTH, grid: { "pretrain.maskRatio": [0.5, 1.5] } },
    /'grid\["pretrain\.maskRatio"\]' must lie strictly between 0 and 1, got 1\.5/,
  );
  bad({ data: SYNTH, grid: { "pretrain.patch": [4, 4] } }, /'grid\["pretrain\.patch"\]' lists a value twice/);
  bad({ data: SYNTH, grid: { patch: [4] } }, /'grid\["patch"\]' is an unknown axis/);
  bad({ data: SYNTH, grid: { recipe: ["fancy"] } }, /unknown recipe "fancy"/);
  bad(
    { data: SYNTH, pretrain: { modle: "model1" }, grid: {} },
    /'pretrain\.modle' is an unknown pretrain option 'modle'/,
  );
  bad({ data: SYNTH, pretrain: { model: "model3" }, grid: {} }, /'pretrain\.model' must be model1 or model2/);
  bad(
    { data: SYNTH, pretrain: { epochs: 3 }, grid: {} },
    /'pretrain\.epochs' cannot be set here \(set epochs and maxSteps in "budget"/,
  );
  bad(
    { data: SYNTH, finetune: { device: "cuda" }, grid: {} },
    /'finetune\.device' cannot be set here \(use --device\)/,
  );
  bad({ data: SYNTH, finetune: { batchSize: 2.5 }, grid: {} }, /'finetune\.batchSize' must be an integer/);
  bad({ data: SYNTH, grid: {}, gird: {} }, /'gird' is an unknown key \(known: title, /);
  bad(
    { data: SYNTH, budget: { finetune: { epoch: 2 } }, grid: {} },
    /'budget\.finetune\.epoch' is an unknown key \(known: epochs, maxSteps\)/,
  );
  bad(
    { data: SYNTH, pretrainOnly: true, grid: { "finetune.lr": [1e-3] } },
    /'grid\["finetune\.lr"\]' is not allowed: a pretrainOnly sweep fine-tunes nothing/,
  );
  bad(
    { data: { pretrain: "no/such/dir", segmentation: "no/such/dir" }, grid: {} },
    /'data\.pretrain' must be a dataset directory, but .*no\/such\/dir has no dataset\.json/,
  );
  bad(
    { data: SYNTH, recipes: { r: { arch: "unet", pretrained: true } }, grid: {} },
    /'recipes\.r\.pretrained' cannot be true: a U-Net has no encoder/,
  );
  const file = join(tmp, "broken.json");
  writeFileSync(file, "{ not json");
  assert.throws(
    () => loadSpec(file),
    (e: Error) => e.message.startsWith(`${file}: `),
  );
});

test("a spec with several independent problems gets one error listing them all", () => {
  const spec = {
    data: SYNTH,
    finetune: { tile: 1.5 },
    budget: { pretrain: { epochs: 0 } },
    grid: [{ seed: [0] }, { "pretrain.nope": [1] }],
  };
  assert.throws(
    () => validateSpec(spec, "specs/three.json"),
    (e: Error) => {
      assert.ok(e instanceof SpecError);
      const lines = e.message.split("\n");
      assert.deepEqual(lines.slice(0, 3), [
        "specs/three.json: invalid sweep spec:",
        "  'finetune.tile' must be an integer, got 1.5",
        "  'budget.pretrain.epochs' must be positive",
      ]);
      assert.match(
        lines[3],
        /^ {2}'grid\[1\]\["pretrain\.nope"\]' is an unknown pretrain option 'nope' \(known: model, /,
      );
      assert.equal(lines.length, 4);
      return true;
    },
  );
});

test("the mean and sample std over seed axes, one row per setting of the other axes", () => {
  const row = (fs: number, seed: number, f1: number): SweepRow => ({
    featureSize: fs,
    seed,
    status: "done",
    macro_f1: f1,
    best_val_loss: 1,
  });
  const axes = [
    { key: "finetune.featureSize", label: "featureSize", values: [] },
    { key: "seed", label: "seed", values: [] },
  ];
  const agg = aggregateOverSeeds({ axes }, [
    row(8, 0, 0.5),
    row(8, 1, 0.7),
    row(16, 0, 0.2),
    { ...row(16, 1, 0.9), status: "pending", macro_f1: null },
  ]);
  assert.deepEqual(agg, [
    { featureSize: 8, seeds: "2/2", best_val_loss: "1 ± 0", macro_f1: "0.600 ± 0.141" },
    { featureSize: 16, seeds: "1/2", best_val_loss: "1 ± 0", macro_f1: "0.200 ± 0" },
  ]);
  assert.equal(aggregateOverSeeds({ axes: [axes[0]] }, []), null, "no seed axis, no aggregate");
  // Axis values print as given; metrics to 3 decimals, losses to 4 significant digits.
  const md = markdownTable(
    [{ maskRatio: 0.5, macro_f1: 0.5, best_val_loss: 0.123456, status: "done" }],
    ["maskRatio", "macro_f1", "best_val_loss"],
  );
  assert.equal(md, "| maskRatio | macro F1 | val loss |\n| --- | --- | --- |\n| 0.5 | 0.500 | 0.1235 |");
});

test("hemoseg sweep --dry-run lists the points and their run dirs and trains nothing", () => {
  const out = join(tmp, "dry");
  const run = (...args: string[]) =>
    execFileSync(
      process.execPath,
      [join(ROOT, "dist/src/cli/main.js"), "sweep", ...args, "--out", out, "--dry-run"],
      { encoding: "utf8", cwd: tmp },
    );
  const lines = run("--preset", "table4").trim().split("\n");
  assert.match(lines[0], /^Table 4: .*4 points, 1 pre-training run;/);
  const sizes = [32, 64, 128, 256];
  const pre = new Set<string>();
  lines.slice(1).forEach((l, i) => {
    assert.match(
      l,
      new RegExp(
        `^featureSize-${sizes[i]} +dry/runs/featureSize-${sizes[i]} \\[missing\\] +pretrain (dry/pretrain/model1-p4-m0\\.5-[0-9a-f]{8}) \\[missing\\]$`,
      ),
    );
    pre.add(l.split(" pretrain ")[1]);
  });
  assert.equal(pre.size, 1, "one shared pre-training");
  const spec = join(tmp, "mine.json");
  writeFileSync(
    spec,
    JSON.stringify({
      data: SYNTH,
      pretrainOnly: true,
      grid: { "pretrain.model": ["model1", "model2"], "pretrain.maskRatio": [0.5, 0.9] },
    }),
  );
  const mine = run("--spec", spec, "--pretrain-epochs", "5").trim().split("\n");
  assert.match(mine[0], /4 points, 4 pre-training runs; budget: pre-training 5 epochs/);
  assert.match(mine[1], /^model1_maskRatio-0\.5 +pretrain dry\/pretrain\/model1-p4-m0\.5-/);
  assert.match(mine[4], /^model2_maskRatio-0\.9 +pretrain dry\/pretrain\/model2-p4-m0\.9-/);
  assert.equal(existsSync(out), false, "a dry run writes nothing");
});

test("a tiny sweep: 2 points share one pre-training, write results, and a second run retrains nothing", async () => {
  const out = join(tmp, "real");
  const spec = validateSpec(
    {
      title: "tiny",
      data: SYNTH,
      pretrain: { model: "model2", patch: 8, batchTiles: 16 },
      finetune: { batchSize: 8 },
      budget: { pretrain: { epochs: 1, maxSteps: 1 }, finetune: { epochs: 1, maxSteps: 1 } },
      grid: { "finetune.featureSize": [4, 8] },
    },
    "tiny.json",
  );
  const plan = planSweep(spec, { out });
  const opts = {
    device: "cpu" as const,
    resume: false,
    onlyMissing: false,
    log: () => {},
  };
  const first = await runSweep(plan, opts);
  assert.deepEqual(first.trained, { pretrain: 1, finetune: 2, evaluate: 2 });
  assert.equal(first.failed, 0);
  assert.deepEqual(readdirSync(join(out, "pretrain")), [plan.points[0].pretrainDir!.split("/").pop()]);

  const csv = readFileSync(join(out, "results.csv"), "utf8").trim().split("\n");
  assert.equal(csv.length, 3, "a header and 2 rows");
  const header = csv[0].split(",");
  for (const c of [
    "point",
    "featureSize",
    "status",
    "mae_val_loss",
    "mae_test_loss",
    "best_val_loss",
    "test_accuracy",
    "macro_f1",
    "platelet_f1",
    "f1_background",
    "f1_platelet",
    "run",
  ]) {
    assert.ok(header.includes(c), `results.csv has ${c}`);
  }
  const rows = csv.slice(1).map((l) => Object.fromEntries(l.split(",").map((v, i) => [header[i], v])));
  assert.deepEqual(
    rows.map((r) => [r.point, r.featureSize, r.status]),
    [
      ["featureSize-4", "4", "done"],
      ["featureSize-8", "8", "done"],
    ],
  );
  for (const r of rows) {
    for (const c of ["mae_val_loss", "best_val_loss", "test_accuracy", "macro_f1", "platelet_f1"])
      assert.ok(Number.isFinite(Number(r[c])) && r[c] !== "", `${c} = '${r[c]}'`);
    assert.ok(Number(r.macro_f1) >= 0 && Number(r.macro_f1) <= 1);
    assert.equal(r.mae_val_loss, rows[0].mae_val_loss, "both rows report the shared pre-training");
  }
  assert.match(
    readFileSync(join(out, "results.md"), "utf8"),
    /\| featureSize \| MAE val loss \| MAE test loss \| val loss \| accuracy \| macro F1 \| platelet F1 \|/,
  );
  const sections = sweepSections(out);
  assert.equal(sections.length, 1);
  assert.equal(sections[0].rows.length, 2);
  assert.match(sections[0].markdownTable!, /featureSize/);

  const stamp = () =>
    plan.points.flatMap((p) =>
      [
        join(p.runDir, "metrics.jsonl"),
        join(p.runDir, "eval-test", "evaluation.json"),
        join(p.pretrainDir!, "test.json"),
      ].map((f) => statSync(f).mtimeMs),
    );
  const before = stamp();
  const again = await runSweep(planSweep(spec, { out }), opts);
  assert.deepEqual(again.trained, { pretrain: 0, finetune: 0, evaluate: 0 });
  assert.deepEqual(stamp(), before, "no run file was rewritten");
  assert.deepEqual(again.rows, first.rows);

  // Trained but not evaluated: only the evaluation runs again.
  rmSync(join(plan.points[1].runDir, "eval-test"), { recursive: true });
  const evalOnly = await runSweep(plan, opts);
  assert.deepEqual(evalOnly.trained, { pretrain: 0, finetune: 0, evaluate: 1 });
  // Interrupted (no finetune.json): --only-missing leaves it, and its row says so.
  rmSync(join(plan.points[0].runDir, "finetune.json"));
  const skipped = await runSweep(plan, { ...opts, onlyMissing: true });
  assert.deepEqual(skipped.trained, { pretrain: 0, finetune: 0, evaluate: 0 });
  assert.equal(skipped.rows[0].status, "incomplete");
  assert.equal(skipped.rows[1].status, "done");

  // A run dir holding other settings is never read back as this point's.
  const changed = planSweep(validateSpec({ ...spec, finetune: { batchSize: 4 } }, "tiny.json"), { out });
  assert.equal(planStatus(changed)[1].finetune, "conflict");
  await assert.rejects(
    runSweep(changed, opts),
    /featureSize-8 holds a run with other settings: finetune\.batchSize 8 \(wanted 4\)/,
  );
});
