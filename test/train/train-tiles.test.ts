// Fewer labelled tiles: the TileLoader subset and finetune's trainTiles (--train-tiles).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openDataset } from "../../src/data/dataset.js";
import { TileLoader } from "../../src/data/loader.js";
import { synthDatasets } from "../../src/data/synth-datasets.js";
import { FINETUNE_DEFAULTS, finetune } from "../../src/train/finetune.js";
import { ROOT } from "../helpers.js";

const root = mkdtempSync(join(tmpdir(), "hemoseg-train-tiles-"));
let seg: string;
before(() => {
  seg = synthDatasets({
    out: join(root, "data"),
    stacks: 2,
    tiles: 40,
    channels: 4,
    size: 64,
    tile: 32,
    seed: 2,
  }).segmentation.dir;
});
after(() => rmSync(root, { recursive: true, force: true }));

test("a loader subset is the first N of a seeded shuffle of the split: nested, repeatable, refused past the split", async () => {
  const ds = openDataset(seg);
  const train = ds.meta.split.train;
  const stacks = (subset: number, seed: number) => {
    const l = new TileLoader(ds, { split: "train", tile: 32, subset, seed });
    const s = [...l.stacks];
    void l.close();
    return s;
  };
  try {
    const s4 = stacks(4, 1);
    const s8 = stacks(8, 1);
    assert.equal(s4.length, 4);
    assert.equal(s8.length, 8);
    assert.ok(
      s4.every((i) => s8.includes(i)),
      `4 of seed 1 inside its 8: ${s4} / ${s8}`,
    );
    assert.ok(
      s8.every((i) => train.includes(i)),
      "drawn from the train split",
    );
    assert.deepEqual(
      s4,
      [...s4].sort((a, b) => a - b),
      "ascending",
    );
    assert.deepEqual(stacks(4, 1), s4, "same seed, same tiles");
    assert.notDeepEqual(stacks(8, 2), s8, "another seed, another subset");
    assert.deepEqual(stacks(0, 1), [...train], "0: the whole split");
    const l = new TileLoader(ds, { split: "train", tile: 32, subset: 4, batchSize: 3, seed: 1 });
    assert.equal(l.numTiles, 4);
    let n = 0;
    for await (const b of l.epoch(0)) {
      n += b.indices.length;
      b.images.dispose();
      b.masks?.dispose();
      b.fullMasks?.dispose();
    }
    await l.close();
    assert.equal(n, 4, "an epoch visits the subset's tiles only");
    assert.throws(
      () => new TileLoader(ds, { split: "train", tile: 32, subset: train.length + 1 }),
      new RegExp(
        `subset of ${train.length + 1} asked for, but the train split has only ${train.length} stacks`,
      ),
    );
  } finally {
    ds.close();
  }
});

test("finetune --train-tiles trains on that many tiles and records them; too many is refused naming the option", async () => {
  const out = join(root, "ft");
  await finetune({
    ...FINETUNE_DEFAULTS,
    arch: "unet",
    data: seg,
    out,
    epochs: 1,
    batchSize: 4,
    trainTiles: 5,
    seed: 3,
    quiet: true,
  });
  const run = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
  assert.equal(run.trainTiles, 5);
  assert.equal(run.trainTileIds.length, 5);
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, "dist/src/cli/main.js"),
      "train-unet",
      "--data",
      seg,
      "--out",
      join(root, "x"),
      "--train-tiles",
      "9999",
    ],
    { encoding: "utf8" },
  );
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /trainTiles \(--train-tiles\) 9999: .* has \d+ training images/);
});
