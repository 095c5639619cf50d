import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { DatasetWriter, openDataset, writeDataset } from "../../src/data/dataset.js";
import { liveTensors } from "../../src/torch/index.js";
import { CLASSES, coordDataset, coordValue, type Geometry, tempDir } from "./make.js";

// biome-ignore lint/suspicious/noExplicitAny: the test edits raw JSON freely
type Raw = Record<string, any>;

const G: Geometry = { count: 20, channels: 3, height: 8, width: 12 };

test("a written dataset opens memory-mapped with its split and the train split's statistics", () => {
  const { dir, cleanup } = tempDir();
  const live = liveTensors();
  try {
    const out = join(dir, "set");
    const meta = coordDataset(out, G, 5);
    const ds = openDataset(out);
    assert.deepEqual(ds.meta, meta);
    assert.equal(ds.meta.version, 1);
    assert.deepEqual(
      [ds.meta.split.train.length, ds.meta.split.val.length, ds.meta.split.test.length],
      [16, 2, 2],
    );
    assert.deepEqual(ds.images.shape, [20, 3, 8, 12]);
    assert.deepEqual(ds.masks!.shape, [20, 8, 12]);
    assert.equal(ds.masks!.dtype, "uint8");
    const img = ds.images.toFloat32Array();
    assert.equal(img[coordValue(G, 7, 2, 5, 9)], coordValue(G, 7, 2, 5, 9));
    // Stats: numpy's mean and std over exactly the training stacks, per channel.
    const plane = G.height * G.width;
    for (let c = 0; c < G.channels; c++) {
      const vals = ds.meta.split.train.flatMap((s) => {
        const o = (s * G.channels + c) * plane;
        return Array.from(img.subarray(o, o + plane));
      });
      const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
      const std = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length);
      assert.ok(Math.abs(meta.stats.mean[c] - mean) < 1e-9 * mean, `mean[${c}]`);
      assert.ok(Math.abs(meta.stats.std[c] - std) < 1e-9 * std, `std[${c}]`);
    }
    ds.close();
    assert.equal(liveTensors(), live, "close() unmaps every array");
    // The split is the seed's: another seed, another split.
    const other = coordDataset(join(dir, "other"), G, 6);
    assert.notDeepEqual(other.split.train, meta.split.train);
  } finally {
    cleanup();
  }
});

test("dataset.json is validated on open: the error names the file and every bad field", () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = join(dir, "set");
    coordDataset(out, G);
    const file = join(out, "dataset.json");
    const good = readFileSync(file, "utf8");
    const edit = (f: (m: Raw) => void) => {
      const m = JSON.parse(good);
      f(m);
      writeFileSync(file, JSON.stringify(m));
    };
    const cases: [(m: Raw) => void, RegExp][] = [
      [
        (m) => (m.version = 2),
        /dataset\.json: invalid dataset\.json:\n {2}'version' is 2; this hemoseg reads version 1/,
      ],
      [(m) => (m.kind = "other"), /'kind' must be one of pretrain, segmentation, got "other"/],
      [(m) => (m.channels = 0), /'channels' must be an integer >= 1, got 0/],
      [(m) => m.split.val.push(m.split.train[0]), /'split\.val' holds stack \d+, which another list/],
      [(m) => m.split.test.pop(), /'split' assigns stack \d+ to no split/],
      [(m) => m.split.train.push(99), /'split\.train' holds 99, not a stack index in \[0, 20\)/],
      [(m) => m.stats.std.pop(), /'stats\.std' must be a list of 3 finite numbers/],
      [(m) => (m.classes = []), /'classes' is empty but the set has masks/],
      [
        (m) => (m.files.images = "../x.npy"),
        /'files\.images' must be a \.npy file name in the directory, got "\.\.\/x\.npy"/,
      ],
      [(m) => delete m.files.masks, /'files\.masks' is required for a segmentation set/],
      [(m) => (m.ignoreIndex = 0), /'ignoreIndex' must be 255/],
      [(m) => delete m.stats, /missing field 'stats'/],
      // Every bad field in one error, not only the first.
      [
        (m) => {
          m.channels = "3";
          m.split.seed = 0.5;
        },
        /'channels' must be an integer >= 1, got "3"\n {2}'split\.seed' must be an integer/,
      ],
      [
        (m) => (m.height = 9),
        /images\.npy: shape \[20,3,8,12\] does not match .*dataset\.json, which implies \[20,3,9,12\]/,
      ],
    ];
    for (const [f, re] of cases) {
      edit(f);
      assert.throws(() => openDataset(out), re);
    }
    writeFileSync(file, "{ not json");
    assert.throws(() => openDataset(out), /dataset\.json: not valid JSON/);
    writeFileSync(file, good);
    truncateSync(join(out, "masks.npy"), 200);
    assert.throws(() => openDataset(out), /masks\.npy: truncated/);
    assert.throws(() => openDataset(dir), /not a hemoseg dataset \(no dataset\.json\)/);
  } finally {
    cleanup();
  }
});

test("the writer checks every stack and a failed or unfinished write leaves no dataset", () => {
  const { dir, cleanup } = tempDir();
  try {
    const opts = {
      kind: "segmentation" as const,
      count: 2,
      channels: 2,
      height: 4,
      width: 4,
      classes: CLASSES,
      masks: true,
    };
    const img = () => new Float32Array(32).fill(1);
    const mask = () => new Uint8Array(16);
    const out = join(dir, "bad");
    const nan = img();
    nan[21] = Number.NaN;
    assert.throws(
      () => writeDataset(out, opts, (w) => w.append({ image: nan, mask: mask() })),
      /non-finite pixel \(NaN\) at channel 1, row 1, column 1/,
    );
    assert.equal(existsSync(out), false);
    const m = mask();
    m[6] = 9;
    assert.throws(
      () => writeDataset(out, opts, (w) => w.append({ image: img(), mask: m })),
      /mask value 9 at row 1, column 2 is neither a class \(0\.\.4\) nor 255/,
    );
    assert.throws(() => writeDataset(out, opts, (w) => w.append({ image: img() })), /mask is missing/);
    assert.throws(
      () => writeDataset(out, opts, (w) => w.append({ image: img(), mask: m.subarray(1) })),
      /mask holds 15/,
    );
    assert.throws(() => writeDataset(out, opts, () => {}), /0 of the declared 2 stacks/);
    assert.deepEqual(readdirSync(dir), [], "no output and no partial directory left");
    // A writer that never finishes (a crash) leaves no dataset.json, so nothing opens as a dataset.
    const w = new DatasetWriter(join(dir, "crashed"), opts);
    w.append({ image: img(), mask: mask() });
    assert.throws(() => openDataset(join(dir, "crashed")), /no dataset\.json/);
    w.abort();
    assert.equal(existsSync(join(dir, "crashed")), false);
  } finally {
    cleanup();
  }
});
