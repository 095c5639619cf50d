import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { openDataset } from "../../src/data/dataset.js";
import { disposeBatch, TileLoader } from "../../src/data/loader.js";
import { synthDatasets } from "../../src/data/synth-datasets.js";
import { DEFAULT_CLASSES, synthStack } from "../../src/synth/index.js";
import { tempDir } from "./make.js";

const counts = (a: Uint8Array) => {
  const n = new Array<number>(256).fill(0);
  for (const v of a) n[v]++;
  return n;
};

test("synth writes a pretrain set and a segmentation set with ~2.3% labels and every class", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const opts = { out: dir, stacks: 2, tiles: 256, channels: 3, seed: 1 };
    const { pretrain, segmentation } = synthDatasets(opts);
    assert.equal(pretrain.meta.kind, "pretrain");
    assert.deepEqual([pretrain.meta.count, pretrain.meta.channels, pretrain.meta.height], [2, 3, 256]);
    assert.deepEqual(pretrain.meta.files, { images: "images.npy", fullMasks: "full_masks.npy" });
    assert.equal(segmentation.meta.kind, "segmentation");
    assert.deepEqual(
      [segmentation.meta.count, segmentation.meta.height, segmentation.meta.width],
      [256, 64, 64],
    );
    assert.deepEqual(segmentation.meta.classes, DEFAULT_CLASSES);

    const seg = openDataset(segmentation.dir);
    const sparse = counts(seg.masks!.toTypedArray() as Uint8Array);
    const full = counts(seg.fullMasks!.toTypedArray() as Uint8Array);
    const total = 256 * 64 * 64;
    const labelled = 1 - sparse[255] / total;
    assert.ok(Math.abs(labelled - 0.023) <= 0.005, `labelled fraction ${labelled}`);
    for (let c = 0; c < DEFAULT_CLASSES.length; c++) {
      assert.ok(sparse[c] > 0, `class ${c} (${DEFAULT_CLASSES[c]}) has sparse labels`);
      assert.ok(full[c] > 0, `class ${c} (${DEFAULT_CLASSES[c]}) is in the full masks`);
    }
    assert.equal(
      sparse.slice(DEFAULT_CLASSES.length, 255).reduce((a, b) => a + b),
      0,
      "no other values",
    );

    // Tile 5 is row 1, column 1 of stack 2 (the first stack after the pretrain set's two).
    const src = synthStack(2, { channels: 3, size: 256, seed: 1 });
    const img = seg.images.toFloat32Array();
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 64; y++)
        for (let x = 0; x < 64; x++)
          assert.equal(img[((5 * 3 + c) * 64 + y) * 64 + x], src.image[(c * 256 + 64 + y) * 256 + 64 + x]);

    // Whole-stack tiles go through the loader's single-read path unchanged.
    const loader = new TileLoader(seg, {
      split: "all",
      batchSize: 100,
      shuffle: false,
      flips: false,
      normalize: false,
    });
    let k = 0;
    for await (const b of loader.epoch(0)) {
      const got = b.images.toFloat32Array();
      assert.deepEqual(got, img.subarray(k * 3 * 4096, (k + b.indices.length) * 3 * 4096));
      k += b.indices.length;
      disposeBatch(b);
    }
    await loader.close();
    assert.equal(k, 256);

    // Deterministic: the same options give the same data.
    const again = synthDatasets({ ...opts, out: join(dir, "again"), tiles: 16 });
    const seg2 = openDataset(again.segmentation.dir);
    assert.deepEqual(seg2.images.toFloat32Array(), img.subarray(0, 16 * 3 * 4096));
    assert.deepEqual(
      seg2.masks!.toTypedArray(),
      (seg.masks!.toTypedArray() as Uint8Array).subarray(0, 16 * 4096),
    );
    const pre = openDataset(pretrain.dir);
    const pre2 = openDataset(again.pretrain.dir);
    assert.deepEqual(pre2.images.toFloat32Array(), pre.images.toFloat32Array());
    for (const d of [seg, seg2, pre, pre2]) d.close();
  } finally {
    cleanup();
  }
});
