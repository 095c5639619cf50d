// The browser's image readers (src/app/web/decode.ts, on the upng-js and utif packages the app
// ships) against hemoseg's own (readImageStack): the same (C, H, W) values for every PNG and TIFF
// kind hemoseg reads, so the page segments what `hemoseg predict` would.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { decodeFile, decodePngStack, decodeTiffStack, type Stack } from "../../src/app/web/decode.js";
import { readImageStack } from "../../src/io/image-file.js";
import { encodePng, type PngInput } from "../../src/io/png.js";
import { writeTiff } from "../../src/io/tiff.js";
import { tensor } from "../../src/torch/index.js";

const TMP = mkdtempSync(join(tmpdir(), "hemoseg-app-decode-"));
after(() => rmSync(TMP, { recursive: true, force: true }));
before(() => {
  // what vendor/*.js define in the page
  const require = createRequire(import.meta.url);
  Object.assign(globalThis, { UPNG: require("upng-js"), UTIF: require("utif") });
});

const bytesOf = (path: string): ArrayBuffer => {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
};

function same(got: Stack, path: string): void {
  const want = readImageStack(path);
  try {
    assert.deepEqual([got.C, got.H, got.W], want.shape, path);
    assert.deepEqual(Array.from(got.data), Array.from(want.toFloat32Array()), path);
  } finally {
    want.dispose();
  }
}

test("PNG: RGB, RGBA, grey 16-bit, grey + alpha and palette read as hemoseg reads them", () => {
  const [W, H] = [7, 5];
  const n = W * H;
  const cases: [string, PngInput][] = [
    [
      "rgb",
      {
        width: W,
        height: H,
        channels: 3,
        data: Uint8Array.from({ length: 3 * n }, (_, i) => (i * 37) % 256),
      },
    ],
    [
      "rgba",
      {
        width: W,
        height: H,
        channels: 4,
        data: Uint8Array.from({ length: 4 * n }, (_, i) => (i * 11) % 256),
      },
    ],
    [
      "grey16",
      { width: W, height: H, channels: 1, data: Uint16Array.from({ length: n }, (_, i) => i * 1871) },
    ],
    [
      "greyalpha",
      { width: W, height: H, channels: 2, data: Uint8Array.from({ length: 2 * n }, (_, i) => i * 3) },
    ],
    [
      "palette",
      {
        width: W,
        height: H,
        channels: 1,
        data: Uint8Array.from({ length: n }, (_, i) => i % 3),
        palette: Uint8Array.from([10, 20, 30, 40, 50, 60, 70, 80, 90]),
      },
    ],
  ];
  for (const [name, img] of cases) {
    const path = join(TMP, `${name}.png`);
    writeFileSync(path, encodePng(img));
    same(decodePngStack(bytesOf(path), `${name}.png`), path);
  }
});

test("TIFF: multi-page uint8, uint16 and float32 read as hemoseg reads them", () => {
  const [C, H, W] = [3, 6, 9];
  const n = C * H * W;
  const cases: [string, ReturnType<typeof tensor>][] = [
    [
      "u8",
      tensor(
        Uint8Array.from({ length: n }, (_, i) => (i * 7) % 256),
        [C, H, W],
        "uint8",
      ),
    ],
    [
      "u16",
      tensor(
        Int32Array.from({ length: n }, (_, i) => (i * 977) % 65536),
        [C, H, W],
        "int32",
      ),
    ],
    [
      "f32",
      tensor(
        Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1e3),
        [C, H, W],
      ),
    ],
  ];
  for (const [name, t] of cases) {
    const path = join(TMP, `${name}.tif`);
    writeTiff(path, t);
    t.dispose();
    same(decodeTiffStack(bytesOf(path), `${name}.tif`), path);
  }
});

test("damaged and foreign files are refused with their names", async () => {
  const png = encodePng({ width: 4, height: 4, channels: 1, data: new Uint8Array(16) });
  await assert.rejects(
    decodeFile(new File([Uint8Array.from(png.subarray(0, 40))], "cut.png")),
    /^Error: cut\.png: /,
  );
  await assert.rejects(decodeFile(new File(["II*\0garbage"], "bad.tif")), /^Error: bad\.tif: /);
  await assert.rejects(
    decodeFile(new File(["hello"], "notes.txt")),
    /notes\.txt: not a PNG, TIFF or JPEG image/,
  );
});
