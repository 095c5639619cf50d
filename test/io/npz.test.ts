import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { listNpz, readNpz, writeNpz } from "../../src/io/npz.js";
import { listZip, readZipEntry } from "../../src/io/zip.js";
import { arange, randn, zeros } from "../../src/torch/index.js";
import { data, f32, grid, tmp, u8, u16 } from "./io-fixtures.js";

test("reads np.savez (stored) and np.savez_compressed (deflated) archives exactly", () => {
  for (const f of ["z_stored.npz", "z_deflated.npz"]) {
    assert.deepEqual(listNpz(data(f)), ["image", "mask"], f);
    const { image, mask } = readNpz(data(f));
    assert.deepEqual([image.dtype, image.shape], ["int32", [3, 5, 7]], f); // uint16 widened
    assert.deepEqual(image.toArray(), grid(3, 5, 7, u16), f);
    assert.deepEqual([mask.dtype, mask.shape], ["uint8", [5, 7]], f);
    assert.deepEqual(
      mask.toArray(),
      grid(1, 5, 7, (c, y, x) => u8(c, y, x) % 4),
      f,
    );
  }
  assert.deepEqual(
    listZip(data("z_deflated.npz")).map((e) => e.method),
    [8, 8],
  );
  const { arr_0 } = readNpz(data("z_arr0.npz"));
  assert.deepEqual(arr_0.toArray(), grid(1, 5, 7, f32));
});

test("reads only the named arrays and says which exist when one is missing", () => {
  const only = readNpz(data("z_deflated.npz"), ["mask"]);
  assert.deepEqual(Object.keys(only), ["mask"]);
  assert.throws(
    () => readNpz(data("z_stored.npz"), ["labels"]),
    /z_stored\.npz: no array named 'labels' \(it has: image, mask\)/,
  );
});

test("writeNpz round-trips stored and compressed archives", () => {
  const dir = tmp();
  const arrays = {
    image: randn([2, 3, 4]),
    mask: arange(0, 12).reshape([3, 4]).to("uint8"),
    flags: zeros([5], { dtype: "bool" }),
    scalar: arange(7, 8).reshape([]),
  };
  for (const compress of [false, true]) {
    const path = join(dir, `out-${compress}.npz`);
    writeNpz(path, arrays, { compress });
    assert.deepEqual(
      listZip(path).map((e) => [e.name, e.method]),
      Object.keys(arrays).map((k) => [`${k}.npy`, compress ? 8 : 0]),
    );
    const back = readNpz(path);
    for (const [k, t] of Object.entries(arrays)) {
      assert.deepEqual([back[k].dtype, back[k].shape, back[k].toArray()], [t.dtype, t.shape, t.toArray()], k);
    }
  }
  const small = readFileSync(join(dir, "out-true.npz")).length;
  const big = readFileSync(join(dir, "out-false.npz")).length;
  assert.ok(small < big, `deflated ${small} bytes vs stored ${big}`);
});

test("rejects truncated, corrupt and non-zip files, naming the file", () => {
  const dir = tmp();
  const bytes = readFileSync(data("z_deflated.npz"));
  const cut = join(dir, "cut.npz");
  writeFileSync(cut, bytes.subarray(0, bytes.length - 30));
  assert.throws(() => readNpz(cut), /cut\.npz: not a valid zip archive: no end-of-central-directory record/);
  writeFileSync(cut, bytes.subarray(0, 10));
  assert.throws(() => readNpz(cut), /cut\.npz: not a valid zip archive: 10 bytes/);

  // flip one bit inside the first member's compressed data
  const bad = join(dir, "bad.npz");
  const e = listZip(data("z_deflated.npz"))[0];
  const flipped = Buffer.from(bytes);
  flipped[e.dataOffset + Math.floor(e.compressedSize / 2)] ^= 0x10;
  writeFileSync(bad, flipped);
  assert.throws(() => readNpz(bad), /bad\.npz: member 'image\.npy' (is corrupt|does not inflate|holds)/);

  // a stored member cut short inside its data is caught from the sizes
  const stored = readFileSync(data("z_stored.npz"));
  const s0 = listZip(data("z_stored.npz"))[0];
  const lost = join(dir, "lost.npz");
  writeFileSync(lost, stored.subarray(0, s0.dataOffset + 20));
  assert.throws(() => readNpz(lost), /lost\.npz: not a valid zip archive/);

  const text = join(dir, "text.npz");
  writeFileSync(text, "x".repeat(100));
  assert.throws(() => listNpz(text), /text\.npz: not a valid zip archive/);
});

test("readZipEntry checks the CRC of stored members too", () => {
  const dir = tmp();
  const path = join(dir, "s.npz");
  writeNpz(path, { a: arange(0, 100).to("int32") });
  const bytes = readFileSync(path);
  const e = listZip(path)[0];
  bytes[e.dataOffset + e.size - 1] ^= 1;
  writeFileSync(path, bytes);
  assert.throws(() => readZipEntry(path, e), /s\.npz: member 'a\.npy' is corrupt \(CRC-32 mismatch\)/);
});
