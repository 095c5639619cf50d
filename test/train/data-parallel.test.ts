// Data parallel pre-training: 2 ranks (Gloo, CPU, 1 thread each) reproduce 1 process at the same
// global batch, and a run resumes with another number of ranks.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { synthDatasets } from "../../src/data/synth-datasets.js";
import { UNETR } from "../../src/models/unetr.js";
import { ViTMAEForPreTraining } from "../../src/models/vitmae.js";
import { backends } from "../../src/torch/distributed.js";
import { freePort, launchLocal } from "../../src/torch/launch.js";
import { FINETUNE_DEFAULTS, type FinetuneOptions, finetune } from "../../src/train/finetune.js";
import { readMetrics } from "../../src/train/metrics-log.js";
import { PRETRAIN_DEFAULTS, type PretrainOptions, pretrain } from "../../src/train/pretrain.js";
import { maxAbsDiff, ROOT } from "../helpers.js";

const WORKER = join(ROOT, "dist", "test", "dist-worker.js");
const root = mkdtempSync(join(tmpdir(), "hemoseg-dp-"));
const skip = backends().gloo ? false : "addon built without Gloo (apt-get install libgloo-dev, rebuild)";
let data: ReturnType<typeof synthDatasets>;
before(() => {
  data = synthDatasets({
    out: join(root, "data"),
    stacks: 16,
    tiles: 8,
    channels: 3,
    size: 64,
    tile: 32,
    seed: 5,
  });
});
after(() => rmSync(root, { recursive: true, force: true }));

const opts = (out: string, o: Partial<PretrainOptions> = {}): PretrainOptions => ({
  ...PRETRAIN_DEFAULTS,
  data: data.pretrain.dir,
  out,
  model: "model2",
  patch: 8,
  tile: 32,
  batchTiles: 8, // the global batch: 4 tiles per rank on 2 ranks
  lr: 1e-5, // the paper's; Adam turns float rounding in tiny gradients into steps of ~lr
  epochs: 1,
  maxSteps: 5,
  seed: 2,
  ...o,
});

async function ranks(n: number, o: PretrainOptions | FinetuneOptions, worker = "pretrain"): Promise<void> {
  const r = await launchLocal({
    nproc: n,
    command: process.execPath,
    args: [WORKER],
    env: {
      HEMOSEG_TEST_WORKER: worker,
      HEMOSEG_TEST_OPTIONS: JSON.stringify(o),
      HEMOSEG_DIST_TIMEOUT_S: "600",
    },
  });
  assert.equal(r.code, 0, `ranks exited with ${r.codes}`);
}

function assertSameModel(a: string, b: string, atol: number, what = ""): void {
  const ma = ViTMAEForPreTraining.fromPretrained(a);
  const mb = ViTMAEForPreTraining.fromPretrained(b);
  const pb = new Map(mb.namedParameters());
  let worst = 0;
  for (const [name, p] of ma.namedParameters()) worst = Math.max(worst, maxAbsDiff(p, pb.get(name)!));
  ma.dispose();
  mb.dispose();
  assert.ok(worst <= atol, `parameters differ by up to ${worst.toExponential(2)} ${what}`);
}

const metrics = (dir: string) => readMetrics(join(dir, "metrics.jsonl"));

test("2 ranks reproduce 1 process at the same global batch (5 steps, parameters and val loss)", {
  skip,
}, async () => {
  const one = join(root, "one");
  const two = join(root, "two");
  await pretrain(opts(one));
  await ranks(2, opts(two));
  const [m1, m2] = [metrics(one), metrics(two)];
  const losses = `train ${m1[0].train_loss} vs ${m2[0].train_loss}, val ${m1[0].val_loss} vs ${m2[0].val_loss}`;
  assertSameModel(join(one, "last"), join(two, "last"), 1e-5, losses);
  assert.equal(m2.length, 1, "rank 0 alone logs");
  assert.equal(m2[0].step, 5);
  assert.ok(
    Math.abs((m1[0].val_loss as number) - (m2[0].val_loss as number)) < 1e-5,
    `val ${m1[0].val_loss} vs ${m2[0].val_loss}`,
  );
  assert.ok(Math.abs((m1[0].train_loss as number) - (m2[0].train_loss as number)) < 1e-5);
});

test("a run resumes with another number of ranks as if it had not stopped", { skip }, async () => {
  const straight = join(root, "straight");
  const mixed = join(root, "mixed");
  await pretrain(opts(straight, { epochs: 2 }));
  await ranks(2, opts(mixed, { epochs: 1 }));
  await pretrain(opts(mixed, { epochs: 2, resume: true }));
  assertSameModel(join(straight, "last"), join(mixed, "last"), 1e-5);
  assert.equal(metrics(mixed).length, 2);
});

test("a global batch that does not split among the ranks is refused", { skip }, async () => {
  const r = await launchLocal({
    nproc: 2,
    command: process.execPath,
    args: [WORKER],
    env: {
      HEMOSEG_TEST_WORKER: "pretrain",
      HEMOSEG_TEST_OPTIONS: JSON.stringify(opts(join(root, "odd"), { batchTiles: 7 })),
    },
    log: () => undefined,
  });
  assert.notEqual(r.code, 0);
});

test("SIGTERM to one rank stops every rank before the same step, with rank 0's checkpoint kept", {
  skip,
}, async () => {
  const out = join(root, "stopped");
  const msg = join(root, "stopped-msg");
  const port = await freePort();
  const ranks = [0, 1].map((rank) =>
    spawn(process.execPath, [WORKER], {
      env: {
        ...process.env,
        HEMOSEG_TEST_WORKER: "pretrain",
        HEMOSEG_TEST_OPTIONS: JSON.stringify(opts(out, { epochs: 200 })),
        HEMOSEG_TEST_OUT: msg,
        HEMOSEG_DIST_TIMEOUT_S: "600",
        RANK: String(rank),
        WORLD_SIZE: "2",
        MASTER_ADDR: "127.0.0.1",
        MASTER_PORT: String(port),
      },
      stdio: "ignore",
    }),
  );
  const exits = ranks.map(
    (c) =>
      new Promise<number | null>((resolve) =>
        c.on("exit", (code, sig) => resolve(code ?? (sig ? -1 : null))),
      ),
  );
  // A 200-epoch run that did not stop fails the test instead of hanging it.
  const guard = setTimeout(() => {
    for (const c of ranks) c.kill("SIGKILL");
  }, 600_000);
  try {
    // Until rank 0 has logged an epoch; a rank that exits before fails the test, not hangs it.
    let exited = false;
    void Promise.race(exits).then(() => {
      exited = true;
    });
    while (!existsSync(join(out, "metrics.jsonl"))) {
      assert.ok(!exited, "a rank exited before the first epoch was logged");
      await new Promise((r) => setTimeout(r, 200));
    }
    ranks[1].kill("SIGTERM"); // rank 0 gets no signal: it stops because rank 1 asked
    assert.deepEqual(await Promise.all(exits), [143, 143]);
  } finally {
    clearTimeout(guard);
    for (const c of ranks) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  }
  const [m0, m1] = [0, 1].map((r) => readFileSync(`${msg}.${r}`, "utf8"));
  const epochOf = (m: string) =>
    /^interrupted by SIGTERM: the last good checkpoint is .* \(after epoch (\d+)\)/.exec(m)?.[1];
  assert.ok(epochOf(m0), m0);
  assert.equal(epochOf(m1), epochOf(m0), "both ranks stopped after the same epoch");
  const done = metrics(out).length;
  assert.ok(done >= 1 && done < 200);
  assert.equal(epochOf(m0), String(done), "rank 0 logged every epoch it finished");
});

test("fine-tuning: 2 ranks reproduce 1 process (balanced class weights, 5 steps, parameters and val loss)", {
  skip,
}, async () => {
  const seg = synthDatasets({
    out: join(root, "seg"),
    stacks: 4,
    tiles: 40,
    channels: 3,
    size: 64,
    tile: 32,
    seed: 6,
  });
  const fo = (out: string): FinetuneOptions => ({
    ...FINETUNE_DEFAULTS,
    arch: "unetr",
    data: seg.segmentation.dir,
    out,
    model: "model2",
    patch: 8,
    featureSize: 16,
    batchSize: 4, // the global batch: 2 tiles per rank
    lr: 1e-5,
    classWeights: "balanced",
    epochs: 1,
    maxSteps: 5,
    seed: 3,
  });
  const one = join(root, "ft-one");
  const two = join(root, "ft-two");
  await finetune(fo(one));
  await ranks(2, fo(two), "finetune");
  const [a, b] = [UNETR.fromPretrained(join(one, "last")), UNETR.fromPretrained(join(two, "last"))];
  const pb = new Map(b.namedParameters());
  let worst = 0;
  for (const [name, p] of a.namedParameters()) worst = Math.max(worst, maxAbsDiff(p, pb.get(name)!));
  a.dispose();
  b.dispose();
  assert.ok(worst <= 1e-5, `parameters differ by up to ${worst.toExponential(2)}`);
  const [m1, m2] = [metrics(one), metrics(two)];
  assert.equal(m2[0].step, 5);
  assert.ok(Math.abs((m1[0].val_loss as number) - (m2[0].val_loss as number)) < 1e-5);
  assert.ok(Math.abs((m1[0].train_loss as number) - (m2[0].train_loss as number)) < 1e-5);
});
