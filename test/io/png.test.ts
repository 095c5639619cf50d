import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { decodePng, encodePng, type PngImage, readPng, writePng } from "../../src/io/png.js";
import { REAL_DATA } from "../helpers.js";
import { data, tmp, u8, u16 } from "./io-fixtures.js";

/** Samples (H, W, C) as expected from f over channel planes. */
function hwc(H: number, W: number, C: number, f: (c: number, y: number, x: number) => number): number[] {
  const out: number[] = [];
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) out.push(f(c, y, x));
  return out;
}

function check(file: string, channels: number, bitDepth: number, want: number[], H = 5, W = 7): PngImage {
  const img = readPng(data(file));
  assert.deepEqual([img.width, img.height, img.channels, img.bitDepth], [W, H, channels, bitDepth], file);
  assert.ok(bitDepth === 16 ? img.data instanceof Uint16Array : img.data instanceof Uint8Array, file);
  assert.deepEqual(Array.from(img.data), want, file);
  return img;
}

test("decodes Pillow's PNGs of every colour type", () => {
  check("p_grey.png", 1, 8, hwc(5, 7, 1, u8));
  check("p_rgb.png", 3, 8, hwc(5, 7, 3, u8));
  check("p_rgba.png", 4, 8, hwc(5, 7, 4, u8));
  check("p_la.png", 2, 8, hwc(5, 7, 2, u8));
  check("p_grey16.png", 1, 16, hwc(5, 7, 1, u16));
});

test("palette and low-bit-depth images keep their stored indices and values", () => {
  const indices = hwc(5, 7, 1, (c, y, x) => u8(c, y, x) % 4);
  const pal = check("p_pal.png", 1, 8, indices);
  assert.deepEqual(Array.from(pal.palette!).slice(0, 12), [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
  const pal4 = check("p_pal4.png", 1, 8, indices);
  assert.equal(pal4.storedBits, 4);
  assert.ok(pal4.palette);
  const bit = check(
    "p_1bit.png",
    1,
    8,
    hwc(5, 7, 1, (c, y, x) => u8(c, y, x) % 2),
  );
  assert.deepEqual([bit.storedBits, bit.palette], [1, undefined]);
  check("p_grey2.png", 1, 8, indices);
});

test("decodes Adam7-interlaced images and all five row filters", () => {
  check("p_adam7_rgb16.png", 3, 16, hwc(13, 11, 3, u16), 13, 11);
  check("p_adam7_grey.png", 1, 8, hwc(5, 7, 1, u8));
  check("p_filters_rgba.png", 4, 8, hwc(9, 10, 4, u8), 9, 10);
});

test("encodePng round-trips 8- and 16-bit images of every channel count, and palettes", () => {
  const dir = tmp();
  for (const channels of [1, 2, 3, 4] as const) {
    for (const sixteen of [false, true]) {
      const [H, W] = [9, 13];
      const vals = hwc(H, W, channels, (c, y, x) => (sixteen ? u16(c, y, x) : u8(c, y * y, x)));
      const img = {
        width: W,
        height: H,
        channels,
        data: sixteen ? Uint16Array.from(vals) : Uint8Array.from(vals),
      };
      const path = join(dir, `c${channels}-${sixteen}.png`);
      writePng(path, img);
      const back = readPng(path);
      assert.deepEqual(
        [back.width, back.height, back.channels, back.bitDepth, Array.from(back.data)],
        [W, H, channels, sixteen ? 16 : 8, vals],
      );
    }
  }
  const palette = Uint8Array.from([10, 20, 30, 40, 50, 60, 70, 80, 90]);
  const idx = Uint8Array.from(hwc(6, 5, 1, (c, y, x) => (x + y + c) % 3));
  const back = decodePng(encodePng({ width: 5, height: 6, channels: 1, data: idx, palette }));
  assert.deepEqual(
    [Array.from(back.data), Array.from(back.palette!)],
    [Array.from(idx), Array.from(palette)],
  );
  assert.throws(
    () => encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(11) }),
    /11 samples/,
  );
});

test("a smooth image compresses well (adaptive filters)", () => {
  const [H, W] = [64, 64];
  const vals = hwc(H, W, 3, (c, y, x) => (x * 2 + y + c * 40) & 0xff);
  const bytes = encodePng({ width: W, height: H, channels: 3, data: Uint8Array.from(vals) });
  assert.ok(bytes.length < 600, `${bytes.length} bytes for a 12 KB gradient`);
});

test("rejects corrupt and truncated PNGs, naming the file", () => {
  const dir = tmp();
  const good = readFileSync(data("p_rgb.png"));
  const flipped = Buffer.from(good);
  flipped[40] ^= 1; // inside IDAT
  writeFileSync(join(dir, "crc.png"), flipped);
  assert.throws(
    () => readPng(join(dir, "crc.png")),
    /crc\.png: not a valid PNG: chunk \w+ at byte \d+ fails its CRC check/,
  );
  writeFileSync(join(dir, "cut.png"), good.subarray(0, good.length - 20));
  assert.throws(() => readPng(join(dir, "cut.png")), /cut\.png: not a valid PNG: .*truncated/);
  writeFileSync(join(dir, "jpeg.png"), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0, 0]));
  assert.throws(
    () => readPng(join(dir, "jpeg.png")),
    /jpeg\.png: not a valid PNG: missing the PNG signature/,
  );
});

test("decodes a real blood-smear PNG like Pillow does", () => {
  const img = readPng(join(REAL_DATA, "blood-cell-detection", "images", "image-1.png"));
  assert.deepEqual([img.width, img.height, img.channels, img.bitDepth], [256, 256, 4, 8]);
  const px = (y: number, x: number): number[] =>
    Array.from(img.data.subarray((y * 256 + x) * 4, (y * 256 + x + 1) * 4));
  // reference values from Pillow: np.asarray(Image.open("image-1.png"))[y, x]
  assert.deepEqual(px(0, 0), [203, 182, 168, 255]);
  assert.deepEqual(px(10, 200), [176, 79, 128, 255]);
  assert.deepEqual(px(128, 128), [180, 218, 195, 255]);
  assert.deepEqual(px(255, 255), [179, 224, 195, 255]);
  const sums = [0, 0, 0, 0];
  img.data.forEach((v, i) => {
    sums[i % 4] += v;
  });
  assert.deepEqual(sums, [11589809, 9423686, 10452450, 16711680]);
});
