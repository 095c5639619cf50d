import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { synthDatasets } from "../../src/data/synth-datasets.js";
import { loadSafetensors, readSafetensorsHeader } from "../../src/io/safetensors.js";
import { dispose, liveTensors, scope } from "../../src/torch/index.js";
import { FINETUNE_DEFAULTS, finetune } from "../../src/train/finetune.js";
import { readMetrics } from "../../src/train/metrics-log.js";
import { PRETRAIN_DEFAULTS, type PretrainOptions, pretrain } from "../../src/train/pretrain.js";

const root = mkdtempSync(join(tmpdir(), "hemoseg-train-"));
let data: ReturnType<typeof synthDatasets>;
before(() => {
  data = synthDatasets({
    out: join(root, "data"),
    stacks: 20,
    tiles: 48,
    channels: 4,
    size: 64,
    tile: 32,
    seed: 3,
  });
});
after(() => rmSync(root, { recursive: true, force: true }));

const small = (out: string, o: Partial<PretrainOptions> = {}): PretrainOptions => ({
  ...PRETRAIN_DEFAULTS,
  data: data.pretrain.dir,
  out,
  model: "model2",
  patch: 8,
  tile: 32,
  batchTiles: 8,
  lr: 1e-3,
  epochs: 12,
  seed: 1,
  ...o,
});

const valLosses = (dir: string) => readMetrics(join(dir, "metrics.jsonl")).map((r) => r.val_loss as number);

test("ViTMAE pre-training: validation loss falls clearly within ~100 steps, repeatably by seed", async () => {
  const live = liveTensors();
  const a = await pretrain(small(join(root, "mae-a")));
  const va = valLosses(join(root, "mae-a"));
  assert.equal(va.length, 12);
  assert.ok(
    va[va.length - 1] < 0.9 * va[0],
    `val loss ${va[0].toFixed(3)} -> ${va[va.length - 1].toFixed(3)}`,
  );
  assert.ok(Number.isFinite(a.testLoss) && a.testLoss < va[0]);
  assert.equal(liveTensors(), live, "no tensors left behind");
  for (const f of [
    "best/config.json",
    "best/model.safetensors",
    "last/optimizer.safetensors",
    "last/trainer_state.json",
    "test.json",
  ]) {
    assert.ok(existsSync(join(root, "mae-a", f)), f);
  }
  await pretrain(small(join(root, "mae-b"), { epochs: 3 }));
  assert.deepEqual(valLosses(join(root, "mae-b")), va.slice(0, 3), "same seed, same losses");
});

test("pre-training resumes from last/ exactly where a straight run would be", async () => {
  const straight = join(root, "mae-b"); // 3 epochs, seed 1 (previous test)
  if (!existsSync(join(straight, "test.json"))) await pretrain(small(straight, { epochs: 3 }));
  const resumed = join(root, "mae-r");
  await pretrain(small(resumed, { epochs: 2 }));
  await pretrain(small(resumed, { epochs: 3, resume: true }));
  const v = valLosses(resumed);
  assert.equal(v.length, 3);
  assert.ok(
    Math.abs(v[2] - valLosses(straight)[2]) < 1e-5,
    `resumed ${v[2]} vs straight ${valLosses(straight)[2]}`,
  );
  const state = JSON.parse(readFileSync(join(resumed, "last", "trainer_state.json"), "utf8"));
  assert.equal(state.epoch, 3);
});

test("fine-tuning with layer decay, an encoder rate and a frozen epoch: per-group rates, an unmoved encoder", async (t) => {
  const out = join(root, "unetr-frozen");
  const mae = join(root, "mae-a", "best");
  await finetune({
    ...FINETUNE_DEFAULTS,
    arch: "unetr",
    data: data.segmentation.dir,
    out,
    encoder: mae,
    featureSize: 8,
    epochs: 1,
    batchSize: 8,
    maxSteps: 3,
    quiet: true,
    lr: 1e-3,
    layerDecay: 0.5,
    encoderLr: 1e-4,
    frozenEpochs: 1,
  });
  // Model 2 has L = 4 layers: embeddings get 1e-4 * 0.5^5, layer i 1e-4 * 0.5^(4 - i), the final
  // layernorm 1e-4, every UNETR block the head's 1e-3.
  const optPath = join(out, "last", "optimizer.safetensors");
  const groups = JSON.parse(readSafetensorsHeader(optPath).metadata.groups) as { name: string; lr: number }[];
  const lrs = Object.fromEntries(groups.map((g) => [g.name, g.lr]));
  const want: Record<string, number> = { decoder: 1e-3, "encoder.5": 1e-4 };
  for (let id = 0; id <= 4; id++) want[`encoder.${id}`] = 1e-4 * 0.5 ** (5 - id);
  assert.deepEqual(Object.keys(lrs).sort(), Object.keys(want).sort());
  for (const [k, v] of Object.entries(want))
    assert.ok(Math.abs(lrs[k] - v) < 1e-15, `${k}: ${lrs[k]} vs ${v}`);
  // metrics.jsonl logs every group's rate, by name (lr stays the first group's, the embeddings').
  const logged = readMetrics(join(out, "metrics.jsonl"));
  assert.deepEqual(logged[0].lrs, lrs);
  assert.equal(logged[0].lr, lrs["encoder.0"]);
  // The encoder was frozen for the only epoch: every vit.* tensor is the MAE's, bit for bit,
  // while the blocks around it trained.
  const before = loadSafetensors(join(mae, "model.safetensors"));
  const after = loadSafetensors(join(out, "last", "model.safetensors"));
  t.after(() => dispose([before, after]));
  let encoder = 0;
  for (const [k, t] of Object.entries(after)) {
    if (!k.startsWith("vit.") || k === "vit.embeddings.position_embeddings") continue;
    assert.ok(before[k], `${k} is in the MAE checkpoint`);
    assert.equal(
      scope(() => t.sub(before[k]).abs().max().item()),
      0,
      `${k} moved while frozen`,
    );
    encoder++;
  }
  assert.ok(encoder > 40, `${encoder} encoder tensors compared`);
  const state = JSON.parse(readFileSync(join(out, "last", "trainer_state.json"), "utf8"));
  assert.equal(state.step, 3);
  // Adam's first moments: zero for exactly the encoder's parameters (no gradient while frozen),
  // non-zero for every parameter of the blocks around it.
  const opt = loadSafetensors(optPath);
  const moments = Object.entries(opt).filter(([k]) => k.endsWith(".exp_avg"));
  const zero = moments.filter(([, m]) => scope(() => m.abs().max().item()) === 0).length;
  const encoderParams = Object.keys(after).filter((k) => k.startsWith("vit.")).length;
  assert.deepEqual([zero, moments.length - zero], [encoderParams, Object.keys(after).length - encoderParams]);
  dispose(opt);
});

test("UNETR fine-tuning from the pre-trained encoder learns the sparse labels", async () => {
  const live = liveTensors();
  const out = join(root, "unetr");
  const r = await finetune({
    ...FINETUNE_DEFAULTS,
    arch: "unetr",
    data: data.segmentation.dir,
    out,
    encoder: join(root, "mae-a", "best"),
    featureSize: 8,
    epochs: 6,
    batchSize: 8,
    quiet: true,
    layerDecay: 0.75,
    encoderLr: 1e-4,
    frozenEpochs: 1,
  });
  const m = readMetrics(join(out, "metrics.jsonl"));
  assert.equal(m.length, 6);
  const losses = m.map((r) => r.train_loss as number);
  assert.ok(losses[5] < 0.85 * losses[0], `training loss falls: ${losses.map((l) => l.toFixed(3))}`);
  assert.ok((m[5].val_macro_f1 as number) > 0, "macro F1 is computed");
  assert.ok(r.bestEpoch >= 1);
  const run = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
  assert.equal(run.classes.length, 11);
  assert.equal(liveTensors(), live, "no tensors left behind");
});
