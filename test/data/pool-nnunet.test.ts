import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { openDataset } from "../../src/data/dataset.js";
import { exportNnunet, importNnunet } from "../../src/data/nnunet.js";
import { CLASS_FILE, cuts, importPool, resizedSize } from "../../src/data/pool-import.js";
import { encodeBmp } from "../../src/io/bmp.js";
import { writePng } from "../../src/io/png.js";
import { readTiff } from "../../src/io/tiff.js";
import { coordDataset, tempDir } from "./make.js";

/** A w x h RGB PNG of one colour. */
const solid = (path: string, w: number, h: number, rgb: [number, number, number]) =>
  writePng(path, {
    width: w,
    height: h,
    channels: 3,
    data: new Uint8Array(w * h * 3).map((_, i) => rgb[i % 3]),
  });

test("pool geometry: shorter side to --resize, centred square or tile grid", () => {
  assert.deepEqual(resizedSize(363, 360, 128), [129, 128]);
  assert.deepEqual(resizedSize(480, 640, 128), [128, 171]);
  assert.deepEqual(cuts(129, 128, { resize: 128 }), [[0, 0]]);
  assert.deepEqual(cuts(128, 171, { resize: 128 }), [[0, 21]]);
  assert.deepEqual(cuts(70, 100, { tile: 32 }), [
    [3, 2],
    [3, 34],
    [3, 66],
    [35, 2],
    [35, 34],
    [35, 66],
  ]);
});

test("class folders and plain files import as one pool: resized, tiled, grey; classes kept per stack", () => {
  const { dir, cleanup } = tempDir();
  try {
    const pool = join(dir, "pool");
    for (const c of ["basophil", "platelet"]) mkdirSync(join(pool, c), { recursive: true });
    solid(join(pool, "basophil", "b1.png"), 40, 32, [200, 100, 50]);
    solid(join(pool, "platelet", "p1.png"), 32, 64, [10, 20, 30]);
    writeFileSync(join(pool, "loose.bmp"), encodeBmp(new Uint8Array(48 * 48).fill(90), 48, 48, 1));
    writeFileSync(join(pool, "platelet", ".DS_1.jpg"), "Apple desktop services"); // hidden: skipped
    const r = importPool({ inputs: [pool], out: join(dir, "r"), resize: 16 });
    assert.deepEqual([r.count, r.channels, r.height, r.width], [3, 3, 16, 16]);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "r", CLASS_FILE), "utf8")), {
      classes: ["basophil", "platelet"],
      stacks: [0, -1, 1], // name order: basophil/, loose.bmp, platelet/
    });
    const ds = openDataset(join(dir, "r"));
    const px = ds.images.toFloat32Array();
    // area averaging keeps a solid colour exactly; the grey BMP is repeated to RGB
    assert.deepEqual([px[0], px[256], px[512]], [200, 100, 50]);
    assert.deepEqual([px[768], px[768 + 256], px[768 + 512]], [90, 90, 90]);
    assert.deepEqual([px[1536], px[1536 + 256], px[1536 + 512]], [10, 20, 30]);
    ds.close();
    const t = importPool({ inputs: [pool], out: join(dir, "t"), tile: 16, grey: true });
    // 40 x 32 -> 2 x 2 tiles, 32 x 64 -> 2 x 4... (rows 64 / 16 = 4, columns 32 / 16 = 2), 48 x 48 -> 9
    assert.deepEqual([t.count, t.channels], [4 + 8 + 9, 1]);
    const g = openDataset(join(dir, "t"));
    assert.ok(Math.abs(g.images.toFloat32Array()[0] - (0.299 * 200 + 0.587 * 100 + 0.114 * 50)) < 1e-3);
    g.close();
    assert.throws(
      () => importPool({ inputs: [pool], out: join(dir, "x") }),
      /pool\/loose\.bmp: is 48 x 48, but .*b1\.png is 40 x 32; give --resize or --tile/,
    );
    writeFileSync(join(pool, "bad.jpg"), "no jpeg");
    assert.throws(
      () => importPool({ inputs: [pool], out: join(dir, "y"), resize: 16 }),
      /pool\/bad\.jpg: not a readable JPEG/,
    );
    assert.equal(existsSync(join(dir, "x")) || existsSync(join(dir, "y")), false);
  } finally {
    cleanup();
  }
});

test("nnU-Net: export then import gives back the same images, labels (255 <-> ignore) and classes", () => {
  const { dir, cleanup } = tempDir();
  try {
    const g = { count: 10, channels: 2, height: 6, width: 5 };
    coordDataset(join(dir, "ds"), g, 1);
    const json = exportNnunet({ dataset: join(dir, "ds"), out: join(dir, "nn") });
    assert.deepEqual(json.labels, { a: 0, b: 1, c: 2, d: 3, e: 4, ignore: 5 });
    assert.equal(json.file_ending, ".tif");
    const src = openDataset(join(dir, "ds"));
    const m = src.meta;
    assert.equal(json.numTraining, m.split.train.length + m.split.val.length);
    const split = JSON.parse(readFileSync(join(dir, "nn", "splits_final.json"), "utf8"));
    assert.deepEqual(split[0].val, m.split.val.map((i) => `hemoseg_${String(i).padStart(4, "0")}`).sort());
    const t = m.split.test[0];
    const lab = readTiff(join(dir, "nn", "labelsTs", `hemoseg_${String(t).padStart(4, "0")}.tif`));
    const want = (src.masks!.select(0, t).toTypedArray() as Uint8Array).map((v) => (v === 255 ? 5 : v));
    assert.deepEqual(lab.toTypedArray(), want);
    lab.dispose();
    const back = importNnunet({ dir: join(dir, "nn"), out: join(dir, "back") });
    assert.deepEqual(back.classes, m.classes);
    const ds = openDataset(join(dir, "back"));
    const trainVal = [...m.split.train, ...m.split.val].sort((a, b) => a - b);
    trainVal.forEach((i, k) => {
      assert.deepEqual(ds.images.select(0, k).toFloat32Array(), src.images.select(0, i).toFloat32Array());
      assert.deepEqual(ds.masks!.select(0, k).toTypedArray(), src.masks!.select(0, i).toTypedArray());
    });
    ds.close();
    src.close();
    assert.throws(
      () => exportNnunet({ dataset: join(dir, "ds"), out: join(dir, "nn") }),
      /nn: already exists and is not empty/,
    );
  } finally {
    cleanup();
  }
});

test("nnU-Net import: an RGB PNG set with an ignore label; bad tables and values refused naming the file", () => {
  const { dir, cleanup } = tempDir();
  try {
    const nn = join(dir, "Dataset001_Cells");
    mkdirSync(join(nn, "imagesTr"), { recursive: true });
    mkdirSync(join(nn, "labelsTr"));
    const json = {
      channel_names: { 0: "R", 1: "G", 2: "B" },
      labels: { background: 0, cell: 1, ignore: 2 },
      numTraining: 1,
      file_ending: ".png",
    };
    writeFileSync(join(nn, "dataset.json"), JSON.stringify(json));
    solid(join(nn, "imagesTr", "c1_0000.png"), 4, 2, [1, 2, 3]);
    writePng(join(nn, "labelsTr", "c1.png"), {
      width: 4,
      height: 2,
      channels: 1,
      data: Uint8Array.from([0, 1, 2, 2, 1, 1, 0, 2]),
    });
    const meta = importNnunet({ dir: nn, out: join(dir, "out") });
    assert.deepEqual([meta.classes, meta.channels], [["background", "cell"], 3]);
    const ds = openDataset(join(dir, "out"));
    assert.deepEqual([...(ds.masks!.toTypedArray() as Uint8Array)], [0, 1, 255, 255, 1, 1, 0, 255]);
    ds.close();
    writePng(join(nn, "labelsTr", "c1.png"), {
      width: 4,
      height: 2,
      channels: 1,
      data: Uint8Array.from([0, 1, 7, 2, 1, 1, 0, 2]),
    });
    assert.throws(
      () => importNnunet({ dir: nn, out: join(dir, "x") }),
      /labelsTr\/c1\.png: mask value 7 has no entry/,
    );
    writeFileSync(
      join(nn, "dataset.json"),
      JSON.stringify({ ...json, labels: { background: 0, cell: [1, 2] } }),
    );
    assert.throws(
      () => importNnunet({ dir: nn, out: join(dir, "x") }),
      /dataset\.json: label "cell" is \[1,2\]: region-based labels/,
    );
    writeFileSync(join(nn, "dataset.json"), JSON.stringify({ ...json, channel_names: { 0: "a", 1: "b" } }));
    assert.throws(
      () => importNnunet({ dir: nn, out: join(dir, "x") }),
      /imagesTr\/c1_0001\.png: missing \(case c1/,
    );
    assert.equal(existsSync(join(dir, "x")), false);
  } finally {
    cleanup();
  }
});
