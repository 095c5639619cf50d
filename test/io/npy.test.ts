import assert from "node:assert/strict";
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  createNpy,
  encodeNpy,
  mmapNpy,
  npyHeader,
  parseNpy,
  readNpy,
  readNpyHeader,
  writeNpy,
} from "../../src/io/npy.js";
import { arange, full, type Tensor, zeros } from "../../src/torch/index.js";
import { data, f32, grid, tmp, u8, u16 } from "./io-fixtures.js";

const values = (t: Tensor): number[] => t.toArray();

test("reads numpy's files of every supported dtype exactly", () => {
  const f4 = readNpy(data("n_f4.npy"));
  assert.deepEqual([f4.dtype, f4.shape], ["float32", [2, 3, 4]]);
  assert.deepEqual(values(f4), grid(2, 3, 4, f32));
  assert.deepEqual(values(readNpy(data("n_f8.npy"))), [1.5, -2.25, 1e300, -0, 3]);
  const f2 = readNpy(data("n_f2.npy"));
  assert.deepEqual([f2.dtype, f2.shape], ["float16", [2, 3]]);
  assert.deepEqual(Array.from(f2.toFloat32Array()), [
    0.5,
    -1,
    65504,
    Math.fround(0.0010004043579101562),
    2,
    -3.5,
  ]);
  const i8 = readNpy(data("n_i8.npy"));
  assert.equal(i8.dtype, "int64");
  assert.deepEqual(Array.from(i8.toTypedArray() as BigInt64Array), [-(2n ** 40n), 2n ** 53n - 1n, 7n]);
  assert.deepEqual(values(readNpy(data("n_i4.npy"))), [-(2 ** 31), 2 ** 31 - 1, 5]);
  assert.deepEqual(values(readNpy(data("n_i2.npy"))), [-32768, 32767, -2]);
  assert.deepEqual(values(readNpy(data("n_i1.npy"))), [-128, 127, -1]);
  const u1 = readNpy(data("n_u1.npy"));
  assert.deepEqual([u1.dtype, u1.shape], ["uint8", [5, 7]]);
  assert.deepEqual(values(u1), grid(1, 5, 7, u8));
  const b1 = readNpy(data("n_b1.npy"));
  assert.deepEqual([b1.dtype, values(b1)], ["bool", [1, 0, 1, 1]]);
  const d0 = readNpy(data("n_0d.npy"));
  assert.deepEqual([d0.shape, d0.item()], [[], 3.5]);
  assert.deepEqual(readNpy(data("n_empty.npy")).shape, [0, 3]);
});

test("unsigned 16- and 32-bit data widen to int32 and int64 with their true values", () => {
  const u2 = readNpy(data("n_u2.npy"));
  assert.equal(u2.dtype, "int32");
  const want = grid(1, 5, 7, u16);
  assert.ok(
    want.some((v) => v > 32767),
    "the fixture exercises the upper half",
  );
  assert.deepEqual(values(u2), want);
  const u4 = readNpy(data("n_u4.npy"));
  assert.equal(u4.dtype, "int64");
  assert.deepEqual(values(u4), [0, 2 ** 31, 2 ** 32 - 1]);
  assert.equal(readNpyHeader(data("n_u2.npy")).descr, "<u2");
});

test("format versions 2.0 and 3.0 read like 1.0", () => {
  for (const v of [2, 3]) {
    const t = readNpy(data(`n_v${v}.npy`));
    assert.deepEqual([t.dtype, t.shape], ["int32", [2, 3, 4]]);
    assert.deepEqual(values(t), grid(2, 3, 4, u16));
  }
});

test("headers: numpy's data offsets are 64-byte aligned and ours match numpy byte for byte", () => {
  const dir = tmp();
  for (const f of ["n_f4.npy", "n_u1.npy", "n_0d.npy", "n_empty.npy", "n_b1.npy", "n_i8.npy", "n_f2.npy"]) {
    const h = readNpyHeader(data(f));
    assert.equal(h.dataOffset % 64, 0, f);
    const out = join(dir, f);
    writeNpy(out, readNpy(data(f)));
    assert.deepEqual(readFileSync(out), readFileSync(data(f)), `${f} differs from numpy's bytes`);
  }
  assert.equal(npyHeader("float32", [2, 3]).length % 64, 0);
  // a header too long for version 1.0's 16-bit length switches to 2.0
  const long = npyHeader("uint8", new Array(25000).fill(1));
  assert.deepEqual([long[6], long.length % 64], [2, 0]);
});

test("writeNpy and readNpy round-trip every writable dtype", () => {
  const dir = tmp();
  for (const dtype of [
    "float32",
    "float64",
    "float16",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint8",
    "bool",
  ] as const) {
    const t = arange(0, 24, 1, { dtype: "float32" }).remainder(5).reshape([2, 3, 4]).to(dtype);
    const path = join(dir, `${dtype}.npy`);
    writeNpy(path, t);
    const back = readNpy(path);
    assert.deepEqual([back.dtype, back.shape, values(back)], [dtype, [2, 3, 4], values(t)], dtype);
    const mem = parseNpy(encodeNpy(t), "mem");
    assert.deepEqual([mem.dtype, values(mem)], [dtype, values(t)], dtype);
  }
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.includes(".tmp")),
    [],
    "no temporary files left",
  );
  assert.throws(() => writeNpy(join(dir, "bf.npy"), zeros([2], { dtype: "bfloat16" })), /bf\.npy.*bfloat16/);
});

test("parseNpy reads a .npy that sits at an odd offset inside a larger buffer", () => {
  const bytes = readFileSync(data("n_f4.npy"));
  const padded = new Uint8Array(bytes.length + 3);
  padded.set(bytes, 3);
  assert.deepEqual(values(parseNpy(padded.subarray(3), "x")), grid(2, 3, 4, f32));
});

test("rejects big-endian, Fortran-ordered, truncated and non-.npy files, naming the file", () => {
  assert.throws(() => readNpy(data("n_be.npy")), /n_be\.npy: big-endian .npy data \('>f4'\)/);
  assert.throws(() => readNpy(data("n_fortran.npy")), /n_fortran\.npy: Fortran-ordered/);
  const dir = tmp();
  const cut = join(dir, "cut.npy");
  const whole = readFileSync(data("n_f4.npy"));
  writeFileSync(cut, whole.subarray(0, whole.length - 1));
  assert.throws(
    () => readNpy(cut),
    /cut\.npy: truncated .npy file: shape \[2,3,4\] of '<f4' needs 96 data bytes.*95/,
  );
  assert.throws(() => mmapNpy(cut), /cut\.npy: truncated/);
  writeFileSync(cut, whole.subarray(0, 40));
  assert.throws(() => readNpy(cut), /cut\.npy: not a valid .npy file: the 118-byte header runs past the end/);
  const junk = join(dir, "junk.npy");
  writeFileSync(junk, "this is not numpy data at all");
  assert.throws(() => readNpy(junk), /junk\.npy: not a valid .npy file: missing the \\x93NUMPY magic/);
  assert.throws(() => parseNpy(whole.subarray(0, 130), "a.npz:b.npy"), /a\.npz:b\.npy: truncated/);
});

test("mmapNpy maps the same values as readNpy and refuses data it cannot map", () => {
  for (const f of ["n_f4.npy", "n_u1.npy", "n_i8.npy", "n_0d.npy", "n_empty.npy"]) {
    assert.deepEqual(values(mmapNpy(data(f))), values(readNpy(data(f))), f);
  }
  assert.throws(() => mmapNpy(data("n_u2.npy")), /n_u2\.npy: '<u2' data cannot be memory-mapped/);
});

test("NpyWriter streams rows into one file that appears only when complete", () => {
  const dir = tmp();
  const path = join(dir, "stream.npy");
  const w = createNpy(path, "float32", [5, 2, 3]);
  w.write(arange(0, 12, 1, { dtype: "float32" }).reshape([2, 2, 3]));
  w.write(full([2, 3], 7)); // one row without the leading dimension
  w.write(arange(100, 112, 1).reshape([2, 2, 3])); // int64, converted to the file's dtype
  assert.equal(existsSync(path), false, "nothing at the target before close");
  assert.throws(
    () => w.write(zeros([1, 3, 2])),
    /stream\.npy: rows of shape \[3,2\] do not fit an array of shape \[5,2,3\]/,
  );
  assert.throws(() => w.write(zeros([1, 2, 3])), /exceed the declared 5/);
  w.close();
  const back = readNpy(path);
  assert.deepEqual(back.shape, [5, 2, 3]);
  const want = [...Array.from({ length: 12 }, (_, i) => i), ...new Array(6).fill(7)];
  want.push(...Array.from({ length: 12 }, (_, i) => 100 + i));
  assert.deepEqual(values(back), want);
  assert.equal(readNpyHeader(path).dataOffset % 64, 0);

  const short = join(dir, "short.npy");
  const s = createNpy(short, "uint8", [3, 4]);
  s.write(zeros([2, 4], { dtype: "uint8" }));
  assert.throws(() => s.close(), /short\.npy: only 2 of 3 rows were written; nothing saved/);
  assert.deepEqual(readdirSync(dir).sort(), ["stream.npy"], "no partial or temporary file left");
});

test("a memory-mapped 64 MB .npy costs almost no RSS until its pages are touched", () => {
  const path = join(tmp(), "big.npy");
  const rows = 16;
  // written with one reused buffer, so no garbage is freed (and RSS does not drop) while measuring
  const row = new Float32Array(1024 * 1024).fill(0.5);
  const fd = openSync(path, "w");
  writeSync(fd, npyHeader("float32", [rows, 1024, 1024]));
  for (let i = 0; i < rows; i++) writeSync(fd, new Uint8Array(row.buffer));
  closeSync(fd);
  assert.ok(statSync(path).size > 64 * 1024 * 1024);
  const before = process.memoryUsage().rss;
  const t = mmapNpy(path);
  const mapped = process.memoryUsage().rss;
  assert.ok(
    mapped - before < 4 * 1024 * 1024,
    `mapping alone raised RSS by ${(mapped - before) / 2 ** 20} MB`,
  );
  const s = t.sum();
  assert.equal(s.item(), rows * 1024 * 1024 * 0.5);
  const touched = process.memoryUsage().rss;
  assert.ok(
    touched - mapped > 48 * 1024 * 1024,
    `touching every page raised RSS by only ${(touched - mapped) / 2 ** 20} MB`,
  );
  s.dispose();
  t.dispose();
});
