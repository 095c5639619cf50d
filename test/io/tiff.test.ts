import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readTiff, writeTiff } from "../../src/io/tiff.js";
import { arange, type DType, full, tensor } from "../../src/torch/index.js";
import { data, f32, grid, rnd, tmp, u8, u16 } from "./io-fixtures.js";

function check(file: string, dtype: DType, shape: number[], want: number[]): void {
  const t = readTiff(data(file));
  assert.deepEqual([t.dtype, t.shape], [dtype, shape], file);
  const got = t.toArray();
  const bad = got.findIndex((v, i) => v !== want[i]);
  assert.equal(bad, -1, `${file}: element ${bad} is ${got[bad]}, expected ${want[bad]}`);
  t.dispose();
}

test("reads tifffile's uncompressed multi-page files in both byte orders and every sample type", () => {
  check("t_u8.tif", "uint8", [3, 5, 7], grid(3, 5, 7, u8));
  check("t_u16_be.tif", "int32", [2, 5, 7], grid(2, 5, 7, u16));
  check("t_f32.tif", "float32", [2, 5, 7], grid(2, 5, 7, f32));
  check(
    "t_u32.tif",
    "int64",
    [1, 5, 7],
    grid(1, 5, 7, (c, y, x) => 4e9 + u8(c, y, x) * 1000),
  );
  check(
    "t_i16.tif",
    "int16",
    [2, 5, 7],
    grid(2, 5, 7, (c, y, x) => u16(c, y, x) - 32768),
  );
  check("t_bigtiff.tif", "uint8", [3, 5, 7], grid(3, 5, 7, u8));
});

test("samples per pixel become channels, chunky or planar, and tiles are stitched", () => {
  check("t_rgb_chunky.tif", "uint8", [3, 5, 7], grid(3, 5, 7, u8));
  check("t_rgb_planar.tif", "int32", [3, 5, 7], grid(3, 5, 7, u16));
  check("t_tiled.tif", "int32", [2, 20, 36], grid(2, 20, 36, u16)); // 16x16 tiles, partial at the edges
});

test("decodes libtiff's LZW, PackBits and Deflate with horizontal and floating-point predictors", () => {
  check(
    "t_lzw.tif",
    "uint8",
    [1, 64, 64],
    grid(1, 64, 64, (c, y, x) => rnd(c, y, x) & 0xff),
  );
  check("t_lzw_pred.tif", "int32", [2, 64, 64], grid(2, 64, 64, rnd)); // 16-row strips
  check("t_lzw_pred_be.tif", "int32", [2, 64, 64], grid(2, 64, 64, rnd));
  check("t_rgb_lzw.tif", "uint8", [3, 5, 7], grid(3, 5, 7, u8));
  check("t_tiled_lzw_be.tif", "int32", [2, 20, 36], grid(2, 20, 36, u16));
  check("t_packbits.tif", "uint8", [3, 5, 7], grid(3, 5, 7, u8));
  check("t_zip_pred.tif", "int32", [2, 5, 7], grid(2, 5, 7, u16));
  check("t_zip_fpred.tif", "float32", [2, 5, 7], grid(2, 5, 7, f32));
});

test("writeTiff round-trips uint8, uint16 (from int32) and float32 stacks", () => {
  const dir = tmp();
  const cases = [
    arange(0, 3 * 5 * 7)
      .remainder(256)
      .reshape([3, 5, 7])
      .to("uint8"),
    arange(0, 2 * 5 * 7)
      .mul(937)
      .reshape([2, 5, 7])
      .to("int32"), // up to 64653: all 16 bits used
    arange(0, 5 * 7, 1, { dtype: "float32" })
      .mul(-0.75)
      .reshape([1, 5, 7]),
  ];
  for (const t of cases) {
    const path = join(dir, `${t.dtype}.tif`);
    writeTiff(path, t);
    const back = readTiff(path);
    assert.deepEqual([back.dtype, back.shape, back.toArray()], [t.dtype, t.shape, t.toArray()], t.dtype);
  }
  writeTiff(join(dir, "plane.tif"), full([4, 6], 3, { dtype: "uint8" }));
  assert.deepEqual(readTiff(join(dir, "plane.tif")).shape, [1, 4, 6]);
  assert.throws(
    () => writeTiff(join(dir, "neg.tif"), tensor(new Int32Array([-1, 70000]), [1, 1, 2])),
    /neg\.tif: int32 values -1\.\.70000/,
  );
  assert.throws(
    () => writeTiff(join(dir, "f64.tif"), full([1, 2, 2], 1, { dtype: "float64" })),
    /f64\.tif: writeTiff supports/,
  );
});

test("rejects truncated, corrupt and mismatched files, naming the file", () => {
  const dir = tmp();
  const whole = readFileSync(data("t_lzw_pred.tif"));
  const cut = join(dir, "cut.tif");
  writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
  assert.throws(
    () => readTiff(cut),
    /cut\.tif: not a readable TIFF file: .*past the end of the file \(truncated\?\)/,
  );
  const junk = join(dir, "junk.tif");
  writeFileSync(junk, "GIF89a and then some");
  assert.throws(
    () => readTiff(junk),
    /junk\.tif: not a readable TIFF file: missing the II\/MM byte-order mark/,
  );

  // page 1 claims one row fewer than page 0
  const two = join(dir, "two.tif");
  writeTiff(two, full([2, 4, 6], 1, { dtype: "uint8" }));
  const b = readFileSync(two);
  const ifd1 = b.readUInt32LE(2 + 12 * 12 + b.readUInt32LE(4));
  for (let i = 0; i < b.readUInt16LE(ifd1); i++) {
    const e = ifd1 + 2 + 12 * i;
    if (b.readUInt16LE(e) === 257) b.writeUInt32LE(3, e + 8);
  }
  writeFileSync(two, b);
  assert.throws(() => readTiff(two), /two\.tif: .*page 1 is 6x3x1 .* page 0 is 6x4x1 .*all pages must match/);

  // a damaged LZW stream
  const lzw = Buffer.from(readFileSync(data("t_lzw.tif")));
  lzw.fill(0xff, 8, 40);
  writeFileSync(join(dir, "lzw.tif"), lzw);
  assert.throws(() => readTiff(join(dir, "lzw.tif")), /lzw\.tif: not a readable TIFF file: block 0: LZW/);
});
