import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { BLOOD_CELL_CLASSES, boxLabels, importBloodCells, readBoxes } from "../../src/data/blood-cells.js";
import { openDataset } from "../../src/data/dataset.js";
import { REAL_DATA } from "../helpers.js";
import { tempDir } from "./make.js";

// Six of the set's 100 images with their boxes (test/data/real/README.md).
const DATA = join(REAL_DATA, "blood-cell-detection");

test("box labels: a disc at each box centre with its class, background dots far from every box", () => {
  const W = 64;
  const boxes = [
    { x0: 4, y0: 4, x1: 28, y1: 28, label: 1 }, // a red cell: disc radius round(0.12 * 24) = 3
    { x0: 30, y0: 30, x1: 62, y1: 62, label: 2 }, // a white cell: radius 4
    { x0: 0, y0: 40, x1: 10, y1: 64, label: 1 }, // cut by the border: too thin for a disc
  ];
  const m = boxLabels(boxes, W, W, 3);
  assert.equal(m[16 * W + 16], 1);
  assert.equal(m[46 * W + 46], 2);
  assert.equal(m[52 * W + 5], 255);
  const n = [0, 0, 0];
  for (let y = 0; y < W; y++)
    for (let x = 0; x < W; x++) {
      const v = m[y * W + x];
      if (v === 255) continue;
      n[v]++;
      if (v === 0)
        for (const b of boxes)
          assert.ok(
            x + 0.5 < b.x0 - 4 || x + 0.5 >= b.x1 + 4 || y + 0.5 < b.y0 - 4 || y + 0.5 >= b.y1 + 4,
            `dot at ${x},${y}`,
          );
      if (v === 1) assert.ok((x + 0.5 - 16) ** 2 + (y + 0.5 - 16) ** 2 <= 9);
      if (v === 2) assert.ok((x + 0.5 - 46) ** 2 + (y + 0.5 - 46) ** 2 <= 16);
    }
  assert.deepEqual(
    n.map((v) => v > 0),
    [true, true, true],
  );
  assert.ok(n[1] < 40 && n[2] < 60);
});

test("the blood-cell images import as a pretrain set and as a segmentation set from the boxes", () => {
  const { dir, cleanup } = tempDir();
  try {
    const boxes = readBoxes(join(DATA, "annotations.csv"), 256, 256);
    assert.equal(boxes.size, 6);
    // 125 rbc + 7 wbc rows in annotations.csv (counted with Python's csv module)
    assert.equal([...boxes.values()].flat().length, 132);
    const seg = importBloodCells({ dir: DATA, out: join(dir, "seg"), kind: "segmentation", seed: 0 });
    assert.deepEqual([seg.count, seg.channels, seg.height, seg.width], [6, 3, 256, 256]);
    assert.deepEqual(seg.classes, BLOOD_CELL_CLASSES);
    const ds = openDataset(join(dir, "seg"));
    const masks = ds.masks!.toTypedArray() as Uint8Array;
    const n = [0, 0, 0, 0];
    for (const v of masks) n[v === 255 ? 3 : v]++;
    assert.equal(n[0] + n[1] + n[2] + n[3], masks.length, "only 0, 1, 2 and 255");
    assert.ok(n[0] > 0 && n[1] > 0 && n[2] > 0, `class counts ${n}`);
    assert.ok(n[1] > n[2], "red cells outnumber white ones");
    const labelled = 1 - n[3] / masks.length;
    assert.ok(labelled > 0.01 && labelled < 0.06, `labelled fraction ${labelled}`);
    // Smear images: bright, pinkish (red above green), 8-bit values.
    const [r, g] = ds.meta.stats.mean;
    assert.ok(r > 100 && r < 255 && r > g);
    const pre = importBloodCells({ dir: DATA, out: join(dir, "pre"), kind: "pretrain", limit: 3 });
    assert.deepEqual([pre.kind, pre.count, pre.channels, pre.height], ["pretrain", 3, 3, 256]);
    assert.deepEqual(pre.classes, []);
    assert.equal(pre.files.masks, undefined);
    const small = openDataset(join(dir, "pre"));
    const px = 3 * 256 * 256;
    assert.deepEqual(
      small.images.toFloat32Array(),
      ds.images.toFloat32Array().subarray(0, 3 * px),
      "same pixels",
    );
    small.close();
    ds.close();
  } finally {
    cleanup();
  }
});
