// Hostile input: images whose headers claim sizes far beyond their bytes (decompression bombs)
// are refused before anything is allocated, with the size found; .npy files whose header does
// not describe the data, NaN in a predict input, labels outside the classes of a dataset and
// an import --out that would overwrite its inputs are refused naming the file.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { crc32, deflateSync } from "node:zlib";
import { openDataset } from "../../src/data/dataset.js";
import { importDataset } from "../../src/data/import.js";
import { checkFinite } from "../../src/eval/predict.js";
import { readImageStack } from "../../src/io/image-file.js";
import { checkImageSize } from "../../src/io/limits.js";
import { npyHeader, readNpy, readNpyHeader, writeNpy } from "../../src/io/npy.js";
import { readNpz, writeNpz } from "../../src/io/npz.js";
import { decodePng } from "../../src/io/png.js";
import { readTiff } from "../../src/io/tiff.js";
import { tensor, zeros } from "../../src/torch/index.js";
import { coordDataset } from "../data/make.js";
import { tempDir } from "./child.js";

function chunk(type: string, data: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + data.length);
  b.writeUInt32BE(data.length, 0);
  b.write(type, 4, "latin1");
  b.set(data, 8);
  b.writeUInt32BE(crc32(b.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return b;
}

/** A valid PNG header for width x height RGB with a small deflated IDAT (a decompression bomb). */
function pngBomb(width: number, height: number, idatBytes: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.alloc(idatBytes))),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

test("a 20000 x 20000 PNG bomb is refused from its header, with the size found", () => {
  const { dir, cleanup } = tempDir();
  try {
    const bomb = pngBomb(20000, 20000, 1 << 20);
    assert.ok(bomb.length < 10000, `the bomb is ${bomb.length} bytes`);
    const file = join(dir, "bomb.png");
    writeFileSync(file, bomb);
    const before = process.memoryUsage().rss;
    assert.throws(
      () => readImageStack(file),
      (e: Error) =>
        e.message.startsWith(
          `${file}: image of 20000 x 20000 pixels x 3 planes exceeds the limit of 268435456 pixels`,
        ) && e.message.includes("HEMOSEG_MAX_IMAGE_PIXELS"),
    );
    assert.ok(process.memoryUsage().rss - before < 256 * 1024 * 1024, "nothing large was allocated");
  } finally {
    cleanup();
  }
});

test("image sizes are checked against the memory available, and the limit can be set", () => {
  assert.throws(
    () => checkImageSize("f.png", { width: 10000, height: 10000, planes: 3, bytesPerSample: 1 }, 3, 1e6),
    /^Error: f\.png: image of 10000 x 10000 pixels x 3 planes needs about 858\.3 MiB of memory to read, but only 976\.6 KiB is available$/,
  );
  checkImageSize("f.png", { width: 100, height: 100, planes: 3, bytesPerSample: 1 }, 3, 1e6);
  const old = process.env.HEMOSEG_MAX_IMAGE_PIXELS;
  process.env.HEMOSEG_MAX_IMAGE_PIXELS = "1000";
  try {
    assert.throws(
      () => decodePng(pngBomb(40, 40, 4920), "small.png"),
      /small\.png: image of 40 x 40 pixels x 3 planes exceeds the limit of 1000 pixels/,
    );
  } finally {
    if (old === undefined) delete process.env.HEMOSEG_MAX_IMAGE_PIXELS;
    else process.env.HEMOSEG_MAX_IMAGE_PIXELS = old;
  }
});

test("a PNG whose data inflates far beyond its declared size is refused without inflating it all", () => {
  const bytes = pngBomb(16, 16, 64 * 1024 * 1024); // 16 x 16 RGB needs 784 bytes, the stream holds 64 MiB
  assert.throws(
    () => decodePng(bytes, "long.png"),
    /^Error: long\.png: not a valid PNG: image data inflates to more than the 784 bytes 16x16 needs$/,
  );
});

/** A little-endian TIFF with one deflated strip claiming width x height 8-bit grey pixels. */
function tiffBomb(width: number, height: number): Buffer {
  const data = deflateSync(Buffer.alloc(4096));
  const tags: [number, number, number][] = [
    [256, 4, width],
    [257, 4, height],
    [258, 3, 8],
    [259, 3, 8], // deflate
    [262, 3, 1],
    [273, 4, 0], // strip offset, patched below
    [277, 3, 1],
    [278, 4, height],
    [279, 4, data.length],
  ];
  const ifdAt = 8;
  const ifdBytes = 2 + tags.length * 12 + 4;
  const dataAt = ifdAt + ifdBytes;
  const b = Buffer.alloc(dataAt + data.length);
  b.write("II", 0, "latin1");
  b.writeUInt16LE(42, 2);
  b.writeUInt32LE(ifdAt, 4);
  b.writeUInt16LE(tags.length, ifdAt);
  tags.forEach(([tag, type, value], i) => {
    const p = ifdAt + 2 + i * 12;
    b.writeUInt16LE(tag, p);
    b.writeUInt16LE(type, p + 2);
    b.writeUInt32LE(1, p + 4);
    if (type === 3) b.writeUInt16LE(value, p + 8);
    else b.writeUInt32LE(tag === 273 ? dataAt : value, p + 8);
  });
  b.set(data, dataAt);
  return b;
}

test("a TIFF bomb is refused from its tags, with the size found", () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, "bomb.tif");
    writeFileSync(file, tiffBomb(30000, 30000));
    assert.throws(
      () => readTiff(file),
      new RegExp(`^Error: ${file}: image of 30000 x 30000 pixels exceeds the limit`),
    );
    // the same file with a size that fits decodes, proving the bomb file itself is well formed
    writeFileSync(file, tiffBomb(64, 64));
    const t = readTiff(file);
    assert.deepEqual(t.shape, [1, 64, 64]);
    t.dispose();
  } finally {
    cleanup();
  }
});

test("an .npz member that inflates beyond the size its directory gives is refused", () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, "a.npz");
    const t = zeros([64, 64]);
    writeNpz(file, { a: t }, { compress: true });
    t.dispose();
    const b = readFileSync(file);
    const cd = b.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    b.writeUInt32LE(100, cd + 24); // the directory now claims 100 bytes
    writeFileSync(file, b);
    assert.throws(
      () => readNpz(file),
      /a\.npz: member 'a\.npy' inflates to more than the 100 bytes the directory says/,
    );
  } finally {
    cleanup();
  }
});

test("a .npy holding more data than its header describes is refused, naming the extra bytes", () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, "x.npy");
    const data = new Float32Array(12); // the header says (2, 2): 4 values; the file holds 12
    writeFileSync(file, Buffer.concat([npyHeader("float32", [2, 2]), Buffer.from(data.buffer)]));
    assert.throws(
      () => readNpyHeader(file),
      /x\.npy: not a valid \.npy file: shape \[2,2\] of '<f4' needs 16 data bytes after the 128-byte header, but 48 are there \(32 bytes more\)/,
    );
    assert.throws(() => readNpy(file), /32 bytes more/);
  } finally {
    cleanup();
  }
});

test("NaN or Inf in a predict input is refused naming the file and the first bad pixel", () => {
  const v = new Float32Array(2 * 3 * 5).fill(0.5);
  v[1 * 15 + 2 * 5 + 3] = Number.NaN; // channel 1, row 2, column 3
  v[29] = Number.POSITIVE_INFINITY;
  const t = tensor(v, [2, 3, 5]);
  try {
    assert.throws(
      () => checkFinite(t, "scan.npy"),
      /^Error: scan\.npy: holds 2 non-finite value\(s\) \(the first, NaN, at channel 1, row 2, column 3\)/,
    );
  } finally {
    t.dispose();
  }
  const ok = tensor(new Float32Array(8), [2, 2, 2]);
  checkFinite(ok, "fine.npy");
  ok.dispose();
});

test("labels outside the classes are found when a dataset opens, naming the file and the stack", () => {
  const { dir, cleanup } = tempDir();
  try {
    const ds = join(dir, "ds");
    const g = { count: 5, channels: 2, height: 4, width: 6 };
    coordDataset(ds, g);
    openDataset(ds).close(); // valid as written
    const masks = join(ds, "masks.npy");
    const b = readFileSync(masks);
    const h = readNpyHeader(masks);
    b[h.dataOffset + 3 * 24 + 1 * 6 + 2] = 42; // stack 3, row 1, column 2
    writeFileSync(masks, b);
    assert.throws(
      () => openDataset(ds),
      (e: Error) =>
        e.message ===
        `${masks}: stack 3 holds label 42 at row 1, column 2, but ${join(ds, "dataset.json")} lists 5 classes (labels 0..4, 255 = unlabelled)`,
    );
  } finally {
    cleanup();
  }
});

test("import refuses an --out that is, contains or lies inside an input, and leaves the inputs", () => {
  const { dir, cleanup } = tempDir();
  try {
    const input = join(dir, "scans");
    mkdirSync(input);
    const t = zeros([2, 8, 8]);
    writeNpy(join(input, "a.npy"), t);
    t.dispose();
    const link = join(dir, "link");
    symlinkSync(input, link);
    const cases: [string, RegExp][] = [
      [input, /is the input/],
      [link, /is the input/],
      [dir, /contains the input/],
      [join(input, "ds"), /lies inside the input/],
    ];
    for (const [out, why] of cases) {
      assert.throws(() => importDataset({ images: input, out, overwrite: true }), why, out);
      assert.ok(existsSync(join(input, "a.npy")), `the input survives --out ${out}`);
    }
    // a single image file as the input: an --out folder holding it is refused too
    assert.throws(
      () => importDataset({ images: join(input, "a.npy"), out: input, overwrite: true }),
      /contains the input/,
    );
  } finally {
    cleanup();
  }
});

test("import of an empty (0, 3, 64, 64) array or into an impossible --out says so plainly", () => {
  const { dir, cleanup } = tempDir();
  try {
    const empty = join(dir, "empty.npy");
    writeFileSync(empty, npyHeader("float32", [0, 3, 64, 64]));
    assert.throws(
      () => importDataset({ images: empty, out: join(dir, "ds") }),
      (e: Error) => e.message === `${empty}: holds no stacks (an empty array of shape [0,3,64,64])`,
    );
    const ok = join(dir, "ok.npy");
    const t = zeros([2, 8, 8]);
    writeNpy(ok, t);
    t.dispose();
    const long = join(dir, "d".repeat(250));
    assert.throws(
      () => importDataset({ images: ok, out: long }),
      (e: Error) =>
        e.message === `${long}: cannot create the output folder: file name too long (ENAMETOOLONG)` &&
        !e.message.includes("partial"),
    );
  } finally {
    cleanup();
  }
});
