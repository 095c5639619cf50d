// The MAE recipe options of pre-training: AdamW, lr from a base lr (--blr), gradient clipping.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { synthDatasets } from "../../src/data/synth-datasets.js";
import { planSweep } from "../../src/pipeline/sweep/plan.js";
import { validateSpec } from "../../src/pipeline/sweep/spec.js";
import { optim, scope, tensor } from "../../src/torch/index.js";
import { readMetrics } from "../../src/train/metrics-log.js";
import { PRETRAIN_DEFAULTS, pretrain, pretrainOptimizer, pretrainRecipe } from "../../src/train/pretrain.js";
import { optimiserStep } from "../../src/train/trainer.js";
import { ROOT } from "../helpers.js";

const root = mkdtempSync(join(tmpdir(), "hemoseg-mae-recipe-"));
let data: ReturnType<typeof synthDatasets>;
before(() => {
  data = synthDatasets({
    out: join(root, "data"),
    stacks: 8,
    tiles: 16,
    channels: 4,
    size: 64,
    tile: 32,
    seed: 5,
  });
});
after(() => rmSync(root, { recursive: true, force: true }));

test("blr sets lr = blr x batch tiles / 256 exactly, in the recipe and in a real run", async () => {
  const r = pretrainRecipe({ ...PRETRAIN_DEFAULTS, batchTiles: 64, blr: 1.5e-4 });
  assert.equal(r.lr, (1.5e-4 * 64) / 256);
  assert.equal(r.lr, 3.75e-5);
  assert.equal(pretrainRecipe({ ...PRETRAIN_DEFAULTS, lr: 2e-3 }).lr, 2e-3, "no blr: lr applies");
  assert.deepEqual(
    pretrainRecipe({ ...PRETRAIN_DEFAULTS, optimizer: "adamw" }),
    { optimizer: "adamw", lr: 1e-5, weightDecay: 0.05, clipGrad: 0 },
    "AdamW's weight decay defaults to 0.05",
  );
  assert.equal(pretrainRecipe({ ...PRETRAIN_DEFAULTS }).weightDecay, 0, "the paper's Adam: no decay");
  assert.equal(
    pretrainRecipe({ ...PRETRAIN_DEFAULTS, optimizer: "adamw", weightDecay: 0.1 }).weightDecay,
    0.1,
  );

  const out = join(root, "blr");
  await pretrain({
    ...PRETRAIN_DEFAULTS,
    data: data.pretrain.dir,
    out,
    model: "model2",
    patch: 8,
    tile: 32,
    batchTiles: 8,
    blr: 0.032,
    optimizer: "adamw",
    clipGrad: 1,
    epochs: 1,
    maxSteps: 1,
  });
  const lr = readMetrics(join(out, "metrics.jsonl"))[0].lr;
  assert.equal(lr, (0.032 * 8) / 256, "the run steps with blr x 8 / 256");
  const run = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
  assert.equal(run.lr, 0.001);
  assert.equal(run.optimizer, "adamw");
  assert.equal(run.weightDecay, 0.05);
  assert.equal(run.clipGrad, 1);
});

test("pre-training's AdamW decays weights decoupled from the gradient; Adam's decay goes through it", () => {
  scope(() => {
    // Zero gradient: AdamW shrinks w by lr x wd; Adam's L2 term becomes a gradient wd x w, and
    // Adam's normalised first step moves each weight by lr whatever its size.
    const step = (optimizer: "adam" | "adamw") => {
      const w = tensor([2, -4]).requiresGrad_();
      w.grad = tensor([0, 0]);
      const opt = pretrainOptimizer([w], {
        ...PRETRAIN_DEFAULTS,
        optimizer,
        weightDecay: optimizer === "adam" ? 0.05 : undefined,
        lr: 0.1,
      });
      opt.step();
      opt.dispose();
      return w.toArray().map((v) => +v.toFixed(6));
    };
    assert.deepEqual(step("adamw"), [2 * (1 - 0.1 * 0.05), -4 * (1 - 0.1 * 0.05)]);
    assert.deepEqual(step("adam"), [1.9, -3.9]);
  });
});

test("clipGrad limits the global gradient norm the optimiser steps with", () => {
  scope(() => {
    const w = tensor([1, 1, 1, 1]).requiresGrad_();
    const scale = tensor([30, -40, 0, 0]); // gradient of (w * scale).sum(): norm 50
    const task = { loss: () => w.mul(scale).sum(), size: () => 1, release: () => {} };
    const stepWith = (clip: number) => {
      const opt = new optim.Adam([w], { lr: 0 });
      optimiserStep(opt, task, null, clip);
      opt.dispose();
      return w.grad!.toArray();
    };
    const clipped = stepWith(5);
    const norm = Math.hypot(...clipped);
    assert.ok(norm <= 5 + 1e-5, `norm after clipping ${norm}`);
    assert.ok(
      Math.abs(clipped[0] - 3) < 1e-5 && Math.abs(clipped[1] + 4) < 1e-5,
      `direction kept: ${clipped}`,
    );
    assert.deepEqual(stepWith(0), [30, -40, 0, 0], "0: no clipping");
    assert.deepEqual(stepWith(100), [30, -40, 0, 0], "under the limit: unchanged");
  });
});

test("pretrain refuses --lr with --blr, an unknown --optimizer and a bad --clip-grad, naming the option", () => {
  const cli = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [
        join(ROOT, "dist/src/cli/main.js"),
        "pretrain",
        "--data",
        data.pretrain.dir,
        "--out",
        join(root, "x"),
        ...args,
      ],
      { encoding: "utf8" },
    );
  const cases: [string[], RegExp][] = [
    [["--lr", "1e-3", "--blr", "1e-4"], /--lr and --blr cannot both be given/],
    [["--optimizer", "sgd"], /--optimizer must be adam or adamw \(AdamW\), not 'sgd'/],
    [["--clip-grad", "0"], /--clip-grad must be a number > 0, got '0'/],
    [["--blr", "-1"], /--blr must be a number > 0, got '-1'/],
  ];
  for (const [args, msg] of cases) {
    const r = cli(...args);
    assert.notEqual(r.status, 0, args.join(" "));
    assert.match(r.stderr, msg);
  }
  const help = cli("--help").stdout;
  assert.match(help, /--optimizer <name>.*?AdamW:\s+decoupled\s+weight\s+decay/s);
  assert.match(help, /--blr <r>.*blr\s+x\s+batch\s+tiles\s+\/\s+256/s);
});

test("sweep specs take optimizer, blr, weightDecay and clipGrad, and refuse lr with blr", () => {
  const base = { data: { synth: { stacks: 2, tiles: 4 } }, pretrainOnly: true };
  const spec = validateSpec(
    {
      ...base,
      pretrain: { blr: 1.5e-4, clipGrad: 1 },
      grid: { "pretrain.optimizer": ["adam", "adamw"] },
    },
    "s.json",
  );
  const plan = planSweep(spec, { out: join(root, "sw") });
  assert.deepEqual(
    plan.points.map((p) => [p.pretrain!.optimizer, p.pretrain!.weightDecay, p.pretrain!.blr]),
    [
      ["adam", 0, 1.5e-4],
      ["adamw", 0.05, 1.5e-4],
    ],
  );
  assert.notEqual(plan.points[0].pretrainDir, plan.points[1].pretrainDir);
  const bad: [object, RegExp][] = [
    [
      { pretrain: { lr: 1e-3 }, grid: { "pretrain.blr": [1e-4] } },
      /s\.json: invalid sweep spec:\n {2}'pretrain\.lr' and 'pretrain\.blr' cannot both be set/,
    ],
    [
      { grid: { "pretrain.optimizer": ["sgd"] } },
      /'grid\["pretrain\.optimizer"\]' must be "adam" or "adamw" \(AdamW\), got "sgd"/,
    ],
    [{ pretrain: { blr: 0 }, grid: { seed: [0] } }, /'pretrain\.blr' must be positive/],
    [
      { pretrain: { clipGrad: -1 }, grid: { seed: [0] } },
      /'pretrain\.clipGrad' must be a non-negative number/,
    ],
  ];
  for (const [s, msg] of bad) assert.throws(() => validateSpec({ ...base, ...s }, "s.json"), msg);
});
