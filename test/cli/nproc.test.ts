// --nproc and sweep --devices are checked before any worker starts: a global batch that does not
// split among the workers, a worker count below 1, --devices with --shard.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseError } from "./parse-error.js";

test("--nproc refuses a global batch that does not split among the workers, naming both", async () => {
  const pre = await parseError([
    "pretrain",
    "--data",
    "d",
    "--out",
    "o",
    "--nproc",
    "3",
    "--batch-tiles",
    "8",
  ]);
  assert.match(
    String(pre?.message),
    /batch size .* 8 is the global batch: with --nproc 3 it must be a multiple of 3/,
  );
  const fine = await parseError([
    "finetune",
    "--data",
    "d",
    "--out",
    "o",
    "--nproc",
    "4",
    "--batch-size",
    "6",
  ]);
  assert.match(
    String(fine?.message),
    /--batch-size 6 is the global batch: with --nproc 4 it must be a multiple of 4/,
  );
  const zero = await parseError(["train-unet", "--data", "d", "--out", "o", "--nproc", "0"]);
  assert.match(String(zero?.message), /--nproc must be an integer >= 1, got '0'/);
});

test("sweep --devices: a bad list or --shard with it is refused before anything runs", async () => {
  const both = await parseError([
    "sweep",
    "--preset",
    "budget",
    "--out",
    "/nonexistent/x",
    "--devices",
    "cpu,cpu",
    "--shard",
    "0/2",
  ]);
  assert.match(String(both?.message), /--devices and --shard cannot both be given/);
  const bad = await parseError([
    "sweep",
    "--preset",
    "budget",
    "--out",
    "/nonexistent/x",
    "--devices",
    "0,1",
  ]);
  assert.match(String(bad?.message), /with --device cpu every entry is 'cpu'/);
});
