import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { openDataset } from "../../src/data/dataset.js";
import { importDataset } from "../../src/data/import.js";
import { writeNpy } from "../../src/io/npy.js";
import { writeNpz } from "../../src/io/npz.js";
import { writePng } from "../../src/io/png.js";
import { writeTiff } from "../../src/io/tiff.js";
import { DEFAULT_CLASSES } from "../../src/synth/index.js";
import { liveTensors, tensor } from "../../src/torch/index.js";
import { tempDir } from "./make.js";

const S = 8; // every test image is C x 8 x 8

/** Stack i's pixels: distinct, exact small integers. */
const pixels = (i: number, C: number) => Float32Array.from({ length: C * S * S }, (_, k) => i * 1000 + k);
const labels = (i: number, n = 3) =>
  Uint8Array.from({ length: S * S }, (_, k) => ((k + i) % 4 === 3 ? 255 : (k + i) % n));

function npy(path: string, data: Float32Array | Uint8Array, shape: number[]) {
  const t = tensor(data, shape);
  writeNpy(path, t);
  t.dispose();
}

/** images/{a.npy, b.tif, c.png, d.npz} and masks/{a.png, b_mask.npy, c.tiff, d.npy}, all 3 x 8 x 8. */
function mixedFolder(root: string) {
  const im = join(root, "images");
  const mk = join(root, "masks");
  mkdirSync(im);
  mkdirSync(mk);
  npy(join(im, "a.npy"), pixels(0, 3), [3, S, S]);
  const b = tensor(pixels(1, 3), [3, S, S]);
  writeTiff(join(im, "b.tif"), b);
  b.dispose();
  // PNG stores (H, W, C) bytes: channel c of pixel k = (2 + k + c) mod 256.
  writePng(join(im, "c.png"), {
    width: S,
    height: S,
    channels: 3,
    data: Uint8Array.from({ length: S * S * 3 }, (_, j) => (2 + Math.floor(j / 3) + (j % 3)) % 256),
  });
  const d = tensor(pixels(3, 3), [3, S, S]);
  writeNpz(join(im, "d.npz"), { image: d }, { compress: true });
  d.dispose();
  writePng(join(mk, "a.png"), { width: S, height: S, channels: 1, data: labels(0) });
  npy(join(mk, "b_mask.npy"), labels(1), [S, S]);
  const cm = tensor(labels(2), [S, S]);
  writeTiff(join(mk, "c.tiff"), cm);
  cm.dispose();
  npy(join(mk, "d.npy"), labels(3), [S, S]);
  return { im, mk };
}

test("a folder of .npy, .tif, .png and .npz images with masks paired by name imports exactly", () => {
  const { dir, cleanup } = tempDir();
  const live = liveTensors();
  try {
    const { im, mk } = mixedFolder(dir);
    const out = join(dir, "out");
    const meta = importDataset({ images: im, masks: mk, out, classes: ["x", "y", "z"] });
    assert.equal(meta.kind, "segmentation");
    assert.deepEqual([meta.count, meta.channels, meta.height, meta.width], [4, 3, S, S]);
    assert.deepEqual(meta.classes, ["x", "y", "z"]);
    const ds = openDataset(out);
    const img = ds.images.toFloat32Array();
    const masks = ds.masks!.toTypedArray() as Uint8Array;
    const n = 3 * S * S;
    assert.deepEqual(img.subarray(0, n), pixels(0, 3));
    assert.deepEqual(img.subarray(n, 2 * n), pixels(1, 3));
    for (let c = 0; c < 3; c++)
      for (let k = 0; k < S * S; k++)
        assert.equal(img[2 * n + c * S * S + k], (2 + k + c) % 256, "png pixel");
    assert.deepEqual(img.subarray(3 * n), pixels(3, 3));
    for (let i = 0; i < 4; i++)
      assert.deepEqual(masks.subarray(i * S * S, (i + 1) * S * S), labels(i), `mask ${i}`);
    ds.close();
    assert.deepEqual(readdirSync(dir).sort(), ["images", "masks", "out"], "no partial directory left");
    assert.equal(liveTensors(), live);
  } finally {
    cleanup();
  }
});

test("a 4-D .npy imports as N stacks; images alone make a pretrain set; any channel count", () => {
  const { dir, cleanup } = tempDir();
  try {
    const all = Float32Array.from({ length: 5 * 7 * S * S }, (_, k) => k / 7);
    npy(join(dir, "stacks.npy"), all, [5, 7, S, S]);
    const m = new Uint8Array(5 * S * S).map((_, k) => (k % 3 === 0 ? 255 : k % 11));
    npy(join(dir, "stack_masks.npy"), m, [5, S, S]);
    const seg = importDataset({
      images: join(dir, "stacks.npy"),
      masks: join(dir, "stack_masks.npy"),
      out: join(dir, "seg"),
    });
    assert.deepEqual([seg.count, seg.channels], [5, 7]);
    assert.deepEqual(seg.classes, DEFAULT_CLASSES, "hemoseg's 11 classes by default");
    const ds = openDataset(join(dir, "seg"));
    assert.deepEqual(ds.images.toFloat32Array(), all);
    assert.deepEqual(ds.masks!.toTypedArray(), m);
    ds.close();
    const pre = importDataset({ images: join(dir, "stacks.npy"), out: join(dir, "pre") });
    assert.equal(pre.kind, "pretrain");
    assert.deepEqual(pre.classes, []);
    assert.equal(pre.files.masks, undefined);
    assert.throws(
      () => importDataset({ images: join(dir, "stacks.npy"), out: join(dir, "pre") }),
      /already exists/,
    );
  } finally {
    cleanup();
  }
});

test("every kind of bad input is rejected with the file and the problem, and nothing is written", () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = join(dir, "out");
    const cases: [string, (im: string, mk: string) => void, RegExp][] = [
      [
        "NaN pixel",
        (im) => {
          const p = pixels(0, 3);
          p[70] = Number.NaN;
          npy(join(im, "a.npy"), p, [3, S, S]);
        },
        /images\/a\.npy: image has a non-finite pixel \(NaN\) at channel 1, row 0, column 6/,
      ],
      [
        "Inf pixel",
        (im) => {
          const p = pixels(1, 3);
          p[5] = Number.POSITIVE_INFINITY;
          const t = tensor(p, [3, S, S]);
          writeTiff(join(im, "b.tif"), t);
          t.dispose();
        },
        /images\/b\.tif: image has a non-finite pixel \(Infinity\) at channel 0, row 0, column 5/,
      ],
      [
        "mask value outside the classes",
        (_im, mk) => {
          const l = labels(3);
          l[9] = 3;
          npy(join(mk, "d.npy"), l, [S, S]);
        },
        /masks\/d\.npy: mask value 3 at row 1, column 1 is neither a class \(0\.\.2\) nor 255/,
      ],
      [
        "an extra mask",
        (_im, mk) => npy(join(mk, "e.npy"), labels(0), [S, S]),
        /masks\/e\.npy: no image with this name \(4 images, 5 masks\)/,
      ],
      [
        "a mask missing",
        (_im, mk) => rmSync(join(mk, "c.tiff")),
        /images\/c\.png: no mask named "c" \(4 images, 3 masks\)/,
      ],
      [
        "names that do not pair",
        (_im, mk) => {
          rmSync(join(mk, "c.tiff"));
          npy(join(mk, "q.npy"), labels(0), [S, S]);
        },
        /images\/c\.png: no mask named "c"/,
      ],
      [
        "mask size differs from the image",
        (_im, mk) => npy(join(mk, "b_mask.npy"), new Uint8Array(S * (S + 1)), [S, S + 1]),
        /masks\/b_mask\.npy: mask has shape \[8,9\], but its image .*images\/b\.tif is 8 x 8/,
      ],
      [
        "two images with one name",
        (im) => npy(join(im, "b.npy"), pixels(1, 3), [3, S, S]),
        /images\/b\.(npy|tif): has the same name as .*images\/b\.(npy|tif)/,
      ],
      [
        "channel count differs",
        (im) => {
          rmSync(join(im, "b.tif"));
          npy(join(im, "b.npy"), pixels(1, 4), [4, S, S]);
        },
        /images\/b\.npy: image has 4 channels, but .*images\/a\.npy has 3/,
      ],
      [
        "image size differs",
        (im, mk) => {
          npy(join(im, "a.npy"), pixels(0, 1).subarray(0, 48), [3, 4, 4]);
          writePng(join(mk, "a.png"), {
            width: 4,
            height: 4,
            channels: 1,
            data: new Uint8Array(16).fill(255),
          });
        },
        /images\/b\.tif: image is 8 x 8, but .*images\/a\.npy is 4 x 4/,
      ],
      [
        "wrong shape",
        (im) => npy(join(im, "a.npy"), pixels(0, 3), [3 * S * S]),
        /images\/a\.npy: .*shape \[192\]/,
      ],
      ["truncated .npy", (im) => truncateSync(join(im, "a.npy"), 300), /images\/a\.npy: truncated/],
      ["truncated .png", (im) => truncateSync(join(im, "c.png"), 60), /images\/c\.png: /],
      ["not an image", (im) => writeFileSync(join(im, "d.npz"), "garbage"), /images\/d\.npz: /],
    ];
    for (const [what, spoil, re] of cases) {
      rmSync(join(dir, "images"), { recursive: true, force: true });
      rmSync(join(dir, "masks"), { recursive: true, force: true });
      const { im, mk } = mixedFolder(dir);
      spoil(im, mk);
      assert.throws(() => importDataset({ images: im, masks: mk, out, classes: ["x", "y", "z"] }), re, what);
      assert.deepEqual(readdirSync(dir).sort(), ["images", "masks"], `${what}: nothing written`);
    }
    // A 4-D array's masks must be one array with as many planes.
    const all = pixels(0, 6);
    npy(join(dir, "four.npy"), all, [2, 3, S, S]);
    npy(join(dir, "four_masks.npy"), labels(0), [1, S, S]);
    assert.throws(
      () => importDataset({ images: join(dir, "four.npy"), masks: join(dir, "four_masks.npy"), out }),
      /four_masks\.npy: mask array has shape \[1,8,8\], expected \(2, H, W\)/,
    );
    assert.throws(
      () => importDataset({ images: join(dir, "four.npy"), out, kind: "segmentation" }),
      /needs masks/,
    );
    assert.throws(
      () => importDataset({ images: join(dir, "nothing"), out }),
      /nothing: no such file or folder/,
    );
    assert.equal(existsSync(out), false);
  } finally {
    cleanup();
  }
});
