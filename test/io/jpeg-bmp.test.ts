import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { decodeBmp, encodeBmp, readBmp } from "../../src/io/bmp.js";
import { readImageStack, readMaskFile } from "../../src/io/image-file.js";
import { imageSize } from "../../src/io/image-size.js";
import { decodeJpeg, encodeJpeg, jpegInfo, readJpeg } from "../../src/io/jpeg.js";
import { tempDir } from "../data/make.js";
import { ROOT } from "../helpers.js";

const data = (...p: string[]) => join(ROOT, "test", "data", ...p);

/** A smooth RGB test picture (H, W, 3). */
function picture(W: number, H: number): Uint8Array {
  const a = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) a.set([(x * 255) / (W - 1), (y * 255) / (H - 1), 128], 3 * (y * W + x));
  return a;
}

/** An 8-bit palette BMP, written byte by byte (bottom-up rows padded to 4 bytes). */
function paletteBmp(
  indices: Uint8Array,
  W: number,
  H: number,
  palette: [number, number, number][],
): Uint8Array {
  const row = Math.ceil(W / 4) * 4;
  const offset = 14 + 40 + 4 * palette.length;
  const b = Buffer.alloc(offset + row * H);
  b.write("BM", 0, "latin1");
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(offset, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(W, 18);
  b.writeInt32LE(H, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(8, 28);
  b.writeUInt32LE(row * H, 34);
  b.writeUInt32LE(palette.length, 46);
  palette.forEach(([r, g, bl], k) => {
    b[54 + 4 * k] = bl;
    b[55 + 4 * k] = g;
    b[56 + 4 * k] = r;
  });
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) b[offset + (H - 1 - y) * row + x] = indices[y * W + x];
  return b;
}

test("JPEG: baseline decodes close to what was encoded; grey JPEGs come back with one channel", () => {
  const [W, H] = [40, 24];
  const src = picture(W, H);
  const bytes = encodeJpeg(src, W, H, 95);
  assert.deepEqual(jpegInfo(bytes), { width: W, height: H, components: 3, progressive: false });
  const img = decodeJpeg(bytes);
  assert.deepEqual([img.width, img.height, img.channels], [W, H, 3]);
  let worst = 0;
  for (let i = 0; i < src.length; i++) worst = Math.max(worst, Math.abs(src[i] - img.data[i]));
  assert.ok(worst <= 8, `max |diff| ${worst}`);
  // j_grey.jpg: cjpeg -grayscale -quality 100 of pixel (x, y) = (10x + 3y) mod 256, 24 x 16
  const g = readJpeg(data("io", "j_grey.jpg"));
  assert.deepEqual([g.width, g.height, g.channels], [24, 16, 1]);
  let gw = 0;
  for (let y = 0; y < 16; y++)
    for (let x = 0; x < 24; x++) gw = Math.max(gw, Math.abs(g.data[y * 24 + x] - ((10 * x + 3 * y) % 256)));
  assert.ok(gw <= 3, `grey max |diff| ${gw}`);
  const t = readImageStack(data("io", "j_grey.jpg"));
  assert.deepEqual([t.shape, t.dtype], [[1, 16, 24], "uint8"]);
  t.dispose();
});

test("JPEG: a progressive file gives the very pixels of its baseline original (real PBC cell)", () => {
  const base = readJpeg(data("real", "pbc", "platelet", "PLATELET_100161.jpg"));
  const prog = readJpeg(data("real", "pbc-platelet-progressive.jpg"));
  assert.equal(jpegInfo(readFileSync(data("real", "pbc-platelet-progressive.jpg"))).progressive, true);
  assert.deepEqual([prog.width, prog.height, prog.channels], [360, 363, 3]);
  assert.deepEqual(prog.data, base.data);
  const t = readImageStack(data("real", "pbc-platelet-progressive.jpg"));
  assert.deepEqual(t.shape, [3, 363, 360]);
  // (C, H, W) from (H, W, C): pixel (y=5, x=7), channel 2
  assert.equal(
    (t.toTypedArray() as Uint8Array)[2 * 363 * 360 + 5 * 360 + 7],
    base.data[3 * (5 * 360 + 7) + 2],
  );
  t.dispose();
  assert.deepEqual(imageSize(data("real", "pbc-platelet-progressive.jpg")), {
    width: 360,
    height: 363,
    components: 3,
    progressive: true,
  });
});

test("JPEG: truncated or foreign files and JPEG masks are refused, naming the file", () => {
  const { dir, cleanup } = tempDir();
  try {
    const bytes = encodeJpeg(picture(16, 16), 16, 16);
    writeFileSync(join(dir, "cut.jpg"), bytes.subarray(0, bytes.length - 40));
    assert.throws(
      () => readJpeg(join(dir, "cut.jpg")),
      /cut\.jpg: not a readable JPEG file: no end-of-image marker/,
    );
    writeFileSync(join(dir, "head.jpg"), bytes.subarray(0, 30));
    assert.throws(() => readJpeg(join(dir, "head.jpg")), /head\.jpg: not a readable JPEG file/);
    writeFileSync(join(dir, "x.jpg"), "not a picture");
    assert.throws(
      () => readImageStack(join(dir, "x.jpg")),
      /x\.jpg: not a readable JPEG file: missing the SOI/,
    );
    writeFileSync(join(dir, "m.jpg"), bytes);
    assert.throws(() => readMaskFile(join(dir, "m.jpg")), /m\.jpg: JPEG is lossy/);
  } finally {
    cleanup();
  }
});

test("BMP: 24-bit RGB round-trips exactly; palette masks read as grey levels or palette indices", () => {
  const { dir, cleanup } = tempDir();
  try {
    const [W, H] = [5, 3]; // rows of 15 bytes, padded to 16
    const src = picture(W, H);
    writeFileSync(join(dir, "rgb.bmp"), encodeBmp(src, W, H, 3));
    const b = readBmp(join(dir, "rgb.bmp"));
    assert.deepEqual([b.width, b.height, b.channels, b.grey], [W, H, 3, false]);
    assert.deepEqual(b.data, src);
    const t = readImageStack(join(dir, "rgb.bmp"));
    assert.deepEqual(t.shape, [3, H, W]);
    t.dispose();
    assert.throws(
      () => readMaskFile(join(dir, "rgb.bmp")),
      /rgb\.bmp: a mask BMP must be grey or palette-indexed/,
    );

    // segmentation_WBC-style mask: 0 / 128 / 255 through a grey palette (indices 0, 1, 2)
    const idx = Uint8Array.from([0, 1, 2, 1, 0, 2, 2, 1, 0, 0, 1, 1, 1, 2, 0]);
    writeFileSync(
      join(dir, "grey.bmp"),
      paletteBmp(idx, W, H, [
        [0, 0, 0],
        [128, 128, 128],
        [255, 255, 255],
      ]),
    );
    const m = readMaskFile(join(dir, "grey.bmp"));
    assert.deepEqual(
      [...(m.toTypedArray() as Uint8Array)],
      [...idx].map((k) => [0, 128, 255][k]),
    );
    m.dispose();
    // a colour palette: the indices are the classes
    writeFileSync(
      join(dir, "pal.bmp"),
      paletteBmp(idx, W, H, [
        [0, 0, 0],
        [255, 0, 0],
        [0, 255, 0],
      ]),
    );
    const p = readMaskFile(join(dir, "pal.bmp"));
    assert.deepEqual([...(p.toTypedArray() as Uint8Array)], [...idx]);
    p.dispose();
    const full = readFileSync(join(dir, "pal.bmp"));
    writeFileSync(join(dir, "cut.bmp"), full.subarray(0, full.length - 9));
    assert.throws(
      () => decodeBmp(readFileSync(join(dir, "cut.bmp")), "cut.bmp"),
      /cut\.bmp: not a readable BMP file: .*truncated/,
    );
    writeFileSync(join(dir, "no.bmp"), "PNG?");
    assert.throws(
      () => readImageStack(join(dir, "no.bmp")),
      /no\.bmp: not a readable BMP file: missing the "BM"/,
    );
  } finally {
    cleanup();
  }
});
