import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadSafetensors, readSafetensorsHeader, saveSafetensors } from "../../src/io/safetensors.js";
import { arange, DTYPES, dispose, scope } from "../../src/torch/index.js";
import { fixture } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "hemoseg-st-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test("safetensors: every dtype and metadata round-trip exactly", () => {
  scope(() => {
    const ts = Object.fromEntries(DTYPES.map((dt) => [`t.${dt}`, arange(6).reshape(2, 3).to(dt)]));
    ts.empty = arange(0);
    const p = join(dir, "all.safetensors");
    saveSafetensors(p, ts, { format: "pt", note: "hello" });
    const back = loadSafetensors(p);
    for (const [k, t] of Object.entries(ts)) {
      assert.equal(back[k].dtype, t.dtype, k);
      assert.deepEqual(back[k].shape, t.shape, k);
      assert.deepEqual(back[k].toArray(), t.toArray(), k);
    }
    assert.deepEqual(readSafetensorsHeader(p).metadata, { format: "pt", note: "hello" });
    const n = readFileSync(p).readBigUInt64LE(0);
    assert.equal(Number(n) % 8, 0, "header padded to 8 bytes");
  });
});

test("safetensors: reads files written by Python (the fixtures)", () => {
  const t = loadSafetensors(fixture("vitmae-tiny-p4", "io.safetensors"), ["pixel_values", "ids_restore"]);
  assert.deepEqual(t.pixel_values.shape, [2, 3, 16, 16]);
  assert.equal(t.ids_restore.dtype, "int64");
  dispose(t);
});

test("safetensors: corrupt, oversized and truncated files are rejected with the file name", () => {
  const good = join(dir, "good.safetensors");
  scope(() => saveSafetensors(good, { a: arange(10) }));
  const bytes = readFileSync(good);
  const bad = (name: string, data: Buffer, re: RegExp) => {
    const p = join(dir, name);
    writeFileSync(p, data);
    assert.throws(
      () => loadSafetensors(p),
      (e: Error) => e.message.includes(p) && re.test(e.message),
    );
  };
  bad("short.safetensors", bytes.subarray(0, 5), /shorter than the 8-byte/);
  const huge = Buffer.from(bytes);
  huge.writeBigUInt64LE(2n ** 40n, 0);
  bad("huge.safetensors", huge, /exceeds/);
  bad("trunc.safetensors", bytes.subarray(0, bytes.length - 4), /past the end/);
  const notJson = Buffer.from(bytes);
  notJson[9] = 0x7b;
  notJson[10] = 0x7b;
  bad("json.safetensors", notJson, /not JSON/);
  const wrongSize = Buffer.from(bytes.toString("latin1").replace('"shape":[10]', '"shape":[11]'), "latin1");
  bad("size.safetensors", wrongSize, /needs/);
  assert.throws(() => loadSafetensors(good, ["nope"]), /no tensor named 'nope'/);
});
