import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { openDataset } from "../../src/data/dataset.js";
import { importDataset } from "../../src/data/import.js";
import { applyConvention, parseMaskMap } from "../../src/data/labels.js";
import { writePng } from "../../src/io/png.js";
import { tempDir } from "./make.js";

const W = 4;
const H = 4;

/** images/a.png (RGB) and masks/a.png holding `mask`. */
function pair(dir: string, mask: number[]): { images: string; masks: string } {
  const images = join(dir, "images");
  const masks = join(dir, "masks");
  mkdirSync(images, { recursive: true });
  mkdirSync(masks, { recursive: true });
  const rgb = new Uint8Array(W * H * 3).map((_, i) => i);
  writePng(join(images, "a.png"), { width: W, height: H, channels: 3, data: rgb });
  writePng(join(masks, "a.png"), { width: W, height: H, channels: 1, data: Uint8Array.from(mask) });
  return { images, masks };
}

const readMask = (out: string): number[] => {
  const ds = openDataset(out);
  const m = [...(ds.masks!.toTypedArray() as Uint8Array)];
  ds.close();
  return m;
};

// napari: 0 = not painted, 1 and 2 painted sparsely
const NAPARI = [0, 0, 0, 0, 0, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0];

test("a napari-style mask without a convention is refused with the flags to give, and nothing is written", () => {
  const { dir, cleanup } = tempDir();
  try {
    const src = pair(dir, NAPARI);
    const out = join(dir, "out");
    assert.throws(
      () => importDataset({ ...src, out, classes: ["background", "wbc", "rbc"] }),
      (e: Error) => {
        assert.match(e.message, /masks\/a\.png: mask holds no 255/);
        assert.match(e.message, /81\.3% of its pixels are 0/);
        assert.match(e.message, /--unlabelled 0 if 0 is "not painted"/);
        assert.match(e.message, /or --dense if every pixel is labelled/);
        return true;
      },
    );
    assert.equal(existsSync(out), false);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes("partial")),
      [],
    );
  } finally {
    cleanup();
  }
});

test("--unlabelled 0 turns 0 into 255 and keeps the classes; --dense keeps every value", () => {
  const { dir, cleanup } = tempDir();
  try {
    const src = pair(dir, NAPARI);
    importDataset({
      ...src,
      out: join(dir, "u"),
      classes: ["background", "wbc", "rbc"],
      labels: { unlabelled: 0 },
    });
    assert.deepEqual(
      readMask(join(dir, "u")),
      NAPARI.map((v) => (v === 0 ? 255 : v)),
    );
    importDataset({
      ...src,
      out: join(dir, "d"),
      classes: ["background", "wbc", "rbc"],
      labels: { dense: true },
    });
    assert.deepEqual(readMask(join(dir, "d")), NAPARI);
    // with only two classes, 2 does not fit: the error lists the values and a map to type
    assert.throws(
      () => importDataset({ ...src, out: join(dir, "x"), classes: ["bg", "wbc"], labels: { unlabelled: 0 } }),
      /masks\/a\.png: mask value 2 at row 2, column 1 is neither a class \(0\.\.1\) nor 255 .*values found: 0 \(13 px\), 1 \(2 px\), 2 \(1 px\).*--mask-map "0:255,1:0,2:1"/,
    );
  } finally {
    cleanup();
  }
});

test("--mask-map maps grey-level classes (0 / 128 / 255); without it they are refused with a map to type", () => {
  const { dir, cleanup } = tempDir();
  try {
    const grey = [0, 0, 128, 128, 0, 255, 255, 128, 0, 0, 0, 0, 128, 255, 0, 0];
    const src = pair(dir, grey);
    const classes = ["cytoplasm", "nucleus"];
    importDataset({
      ...src,
      out: join(dir, "m"),
      classes,
      labels: { maskMap: parseMaskMap("0:255,128:0,255:1") },
    });
    assert.deepEqual(
      readMask(join(dir, "m")),
      grey.map((v) => ({ 0: 255, 128: 0, 255: 1 })[v]),
    );
    assert.throws(
      () => importDataset({ ...src, out: join(dir, "n"), classes }),
      /masks\/a\.png: mask value 128 at row 0, column 2 is neither a class \(0\.\.1\) nor 255 .*--mask-map "0:0,128:1,255:2"/,
    );
    assert.throws(
      () =>
        importDataset({
          ...src,
          out: join(dir, "k"),
          classes,
          labels: { maskMap: parseMaskMap("0:255,128:0") },
        }),
      /masks\/a\.png: mask value 255 has no entry in --mask-map \(values found: 0 \(9 px\), 128 \(4 px\), 255 \(3 px\)\)/,
    );
    assert.throws(
      () =>
        importDataset({
          ...src,
          out: join(dir, "j"),
          classes,
          labels: { maskMap: parseMaskMap("0:255,128:0,255:5") },
        }),
      /--mask-map: 255:5 maps to 5, which is neither a class \(0\.\.1\) nor 255/,
    );
    assert.throws(
      () => importDataset({ ...src, out: join(dir, "i"), classes, labels: { unlabelled: 0 } }),
      /masks\/a\.png: mask holds 255, hemoseg's "unlabelled", while --unlabelled 0 says 0 is the unlabelled value/,
    );
    assert.equal(
      existsSync(join(dir, "n")) || existsSync(join(dir, "k")) || existsSync(join(dir, "i")),
      false,
    );
  } finally {
    cleanup();
  }
});

test("mask maps parse strictly; a hemoseg-convention mask passes untouched", () => {
  assert.deepEqual(
    [...parseMaskMap(" 0:255, 128 : 1,255:2")],
    [
      [0, 255],
      [128, 1],
      [255, 2],
    ],
  );
  assert.throws(() => parseMaskMap("0=1"), /--mask-map: "0=1" is not FROM:TO/);
  assert.throws(() => parseMaskMap("0:1,0:2"), /value 0 is mapped twice/);
  assert.throws(() => parseMaskMap("300:1"), /values must lie in 0\.\.255/);
  const m = Uint8Array.from([255, 255, 0, 1, 255, 255]);
  assert.deepEqual([...applyConvention(m.slice(), {}, 2, "m", 3)], [...m]);
});
