// sweep --devices: device lists are checked, worker w of n trains --shard w/n, and points sharing a
// pre-training stay on one worker.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import {
  parseDevices,
  planSweep,
  shardOf,
  validateSpec,
  workerArgv,
} from "../../src/pipeline/sweep/index.js";

test("--devices: CUDA indices with --device cuda, cpu entries with --device cpu, nothing else", () => {
  assert.deepEqual(parseDevices("0,1, 3", "cuda"), [0, 1, 3]);
  assert.deepEqual(parseDevices("cpu,cpu", "cpu"), ["cpu", "cpu"]);
  assert.throws(() => parseDevices("0,x", "cuda"), /'x' is not a CUDA device index/);
  assert.throws(() => parseDevices("0,1", "cpu"), /with --device cpu every entry is 'cpu'/);
  assert.throws(() => parseDevices("0,,1", "cuda"), /comma-separated list/);
});

test("worker w of n runs the same command line on --shard w/n, without --devices", () => {
  const argv = ["cli.js", "sweep", "--preset", "table4", "--devices", "0,1", "--resume"];
  assert.deepEqual(workerArgv(argv, 1, 2), [
    "cli.js",
    "sweep",
    "--preset",
    "table4",
    "--resume",
    "--shard",
    "1/2",
  ]);
  assert.deepEqual(workerArgv(["cli.js", "sweep", "--devices=cpu,cpu", "--shard=0/3"], 0, 2), [
    "cli.js",
    "sweep",
    "--shard",
    "0/2",
  ]);
});

test("--devices shards: points that share a pre-training go to the same worker, every point once", () => {
  const spec = validateSpec(
    {
      data: { synth: { stacks: 4, tiles: 16, seed: 0 } },
      pretrain: { model: "model2" },
      grid: { "pretrain.patch": [4, 8], "finetune.featureSize": [8, 16, 32], seed: [0, 1] },
    },
    "t.json",
  );
  const plan = planSweep(spec, { out: join("/nonexistent", "x") });
  assert.equal(plan.points.length, 12);
  const shards = shardOf(plan, 3);
  // 4 pre-trainings (patch x seed) of 3 points each on 3 workers: 6, 3, 3 points.
  const sizes = [0, 1, 2].map((w) => shards.filter((s) => s === w).length);
  assert.deepEqual(sizes.sort(), [3, 3, 6]);
  for (const [i, p] of plan.points.entries())
    for (const [j, q] of plan.points.entries())
      if (p.pretrainDir === q.pretrainDir)
        assert.equal(shards[i], shards[j], `pre-training ${p.pretrainDir} split`);
});
