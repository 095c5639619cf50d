import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readImageStack, readMaskFile } from "../../src/io/image-file.js";
import { writeNpy } from "../../src/io/npy.js";
import { writeNpz } from "../../src/io/npz.js";
import { writePng } from "../../src/io/png.js";
import { writeTiff } from "../../src/io/tiff.js";
import { arange, full, tensor } from "../../src/torch/index.js";
import { REAL_DATA } from "../helpers.js";
import { data, f32, grid, tmp, u8, u16 } from "./io-fixtures.js";

test("readImageStack gives (C, H, W) in the stored dtype for every format", () => {
  const cases: [string, string, number[], number[]][] = [
    ["t_rgb_chunky.tif", "uint8", [3, 5, 7], grid(3, 5, 7, u8)],
    ["n_u1.npy", "uint8", [1, 5, 7], grid(1, 5, 7, u8)],
    ["n_f4.npy", "float32", [2, 3, 4], grid(2, 3, 4, f32)],
    ["z_deflated.npz", "int32", [3, 5, 7], grid(3, 5, 7, u16)], // the array named "image"
    ["z_arr0.npz", "float32", [1, 5, 7], grid(1, 5, 7, f32)],
    ["p_rgb.png", "uint8", [3, 5, 7], grid(3, 5, 7, u8)],
    ["p_rgba.png", "uint8", [3, 5, 7], grid(3, 5, 7, u8)], // alpha dropped
    ["p_la.png", "uint8", [1, 5, 7], grid(1, 5, 7, u8)],
    ["p_grey16.png", "int32", [1, 5, 7], grid(1, 5, 7, u16)],
  ];
  for (const [file, dtype, shape, want] of cases) {
    const t = readImageStack(data(file));
    assert.deepEqual([t.dtype, t.shape, t.toArray()], [dtype, shape, want], file);
  }
  // palette images expand to RGB
  const pal = readImageStack(data("p_pal.png"));
  assert.deepEqual(pal.shape, [3, 5, 7]);
  const red = grid(1, 5, 7, (c, y, x) => (u8(c, y, x) % 4 === 1 ? 255 : 0));
  assert.deepEqual(pal.select(0, 0).flatten().toArray(), red);
});

test("a real blood-smear PNG reads as a (3, 256, 256) uint8 stack with Pillow's values", () => {
  const t = readImageStack(join(REAL_DATA, "blood-cell-detection", "images", "image-100.png"));
  assert.deepEqual([t.dtype, t.shape], ["uint8", [3, 256, 256]]);
  const px = (y: number, x: number): number[] => t.select(2, x).select(1, y).toArray();
  // reference values from Pillow: np.asarray(Image.open("image-100.png"))[y, x, :3]
  assert.deepEqual(px(0, 0), [180, 116, 142]);
  assert.deepEqual(px(100, 50), [181, 221, 194]);
  assert.deepEqual(px(255, 0), [186, 135, 150]);
  assert.deepEqual(t.sum([1, 2]).toArray(), [11703045, 9438447, 10339521]);
});

test("readMaskFile gives (H, W) uint8 from palette/grey PNG, npy, npz and TIFF", () => {
  const mod4 = grid(1, 5, 7, (c, y, x) => u8(c, y, x) % 4);
  for (const file of ["p_pal.png", "p_pal4.png", "p_grey2.png", "z_stored.npz"]) {
    const m = readMaskFile(data(file));
    assert.deepEqual([m.dtype, m.shape, m.toArray()], ["uint8", [5, 7], mod4], file);
  }
  const dir = tmp();
  const labels = arange(0, 35).remainder(11).reshape([5, 7]);
  labels.select(0, 0).fill_(255); // the ignore index survives
  const want = labels.toArray();
  writeNpy(join(dir, "m.npy"), labels); // int64
  writeNpy(join(dir, "m1.npy"), labels.to("float32").reshape([1, 5, 7]));
  writeNpz(join(dir, "m.npz"), { image: full([2, 5, 7], 1), mask: labels.to("int32") }, { compress: true });
  writeTiff(join(dir, "m.tif"), labels.to("uint8"));
  for (const f of ["m.npy", "m1.npy", "m.npz", "m.tif"]) {
    const m = readMaskFile(join(dir, f));
    assert.deepEqual([m.dtype, m.shape, m.toArray()], ["uint8", [5, 7], want], f);
  }
});

test("bad images and masks are rejected with the file and the problem", () => {
  const dir = tmp();
  const at = (f: string): string => join(dir, f);
  writeNpy(at("4d.npy"), full([1, 2, 3, 4], 0));
  assert.throws(
    () => readImageStack(at("4d.npy")),
    /4d\.npy: an image must be \(H, W\) or \(C, H, W\), got shape \[1,2,3,4\]/,
  );
  writeNpz(at("two.npz"), { a: full([2, 2], 0), b: full([2, 2], 0) });
  assert.throws(
    () => readImageStack(at("two.npz")),
    /two\.npz: holds arrays a, b; expected a single array or one named image or arr_0/,
  );
  copyFileSync(data("p_rgb.png"), at("x.gif"));
  assert.throws(
    () => readImageStack(at("x.gif")),
    /x\.gif: unsupported file type '\.gif' \(supported: \.npy, \.npz, \.tif, \.tiff, \.png, \.jpg, \.jpeg, \.bmp\)/,
  );
  assert.throws(() => readMaskFile(at("x.gif")), /x\.gif: unsupported file type/);
  copyFileSync(data("p_rgb.png"), at("x.jpg"));
  assert.throws(
    () => readImageStack(at("x.jpg")),
    /x\.jpg: not a readable JPEG file: missing the SOI marker/,
  );

  assert.throws(
    () => readMaskFile(data("p_rgb.png")),
    /p_rgb\.png: a mask PNG must be greyscale or palette-indexed, this one has 3 channels/,
  );
  writeNpy(at("big.npy"), tensor(new Int32Array([0, 1, 300, 2]), [2, 2]));
  assert.throws(() => readMaskFile(at("big.npy")), /big\.npy: mask values 0\.\.300 lie outside 0\.\.255/);
  writeNpy(at("neg.npy"), tensor(new Int32Array([0, -1, 3, 2]), [2, 2]));
  assert.throws(() => readMaskFile(at("neg.npy")), /neg\.npy: mask values -1\.\.3/);
  writeNpy(at("frac.npy"), tensor(new Float32Array([0, 1.5, 3, 2]), [2, 2]));
  assert.throws(() => readMaskFile(at("frac.npy")), /frac\.npy: mask values must be whole class numbers/);
  writeNpy(at("nan.npy"), tensor(new Float32Array([0, Number.NaN, 3, 2]), [2, 2]));
  assert.throws(() => readMaskFile(at("nan.npy")), /nan\.npy: mask values/);
  writeTiff(at("rgb.tif"), full([3, 2, 2], 1, { dtype: "uint8" }));
  assert.throws(
    () => readMaskFile(at("rgb.tif")),
    /rgb\.tif: a mask must be \(H, W\) or \(1, H, W\), got shape \[3,2,2\]/,
  );
  writePng(at("grey16.png"), { width: 2, height: 1, channels: 1, data: Uint16Array.from([3, 4000]) });
  assert.throws(() => readMaskFile(at("grey16.png")), /grey16\.png: mask values 3\.\.4000/);
});
