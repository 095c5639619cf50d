import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readPng } from "../../src/io/png.js";
import { CLASS_COLOURS, synthStack, UNLABELLED } from "../../src/synth/index.js";
import { writePreview } from "../../src/synth/preview.js";

test("writePreview writes a composite, a mask overlay and a label overlay per stack, all decodable", () => {
  const dir = mkdtempSync(join(tmpdir(), "hemoseg-synth-"));
  try {
    const stacks = [0, 1].map((i) => synthStack(i, { size: 48, channels: 6, seed: 4 }));
    const paths = writePreview(join(dir, "out"), stacks, { first: 10, scale: 2 });
    const expected = [10, 11].flatMap((i) =>
      ["composite", "mask", "labels"].map((k) => join(dir, "out", `stack-00${i}-${k}.png`)),
    );
    assert.deepEqual(paths, expected);
    for (const p of paths) {
      const img = readPng(p);
      assert.equal(img.width, 96);
      assert.equal(img.height, 96);
      assert.equal(img.channels, 3);
    }
    // Labelled pixels show their class colour exactly (each pixel is a 2 x 2 block at scale 2).
    const labels = readPng(paths[2]).data;
    const sparse = stacks[0].sparseMask;
    let checked = 0;
    sparse.forEach((c, p) => {
      if (c === UNLABELLED) return;
      const x = (p % 48) * 2;
      const y = Math.floor(p / 48) * 2;
      const q = (y * 96 + x + 1) * 3;
      assert.deepEqual([labels[q], labels[q + 1], labels[q + 2]], CLASS_COLOURS[c]);
      checked++;
    });
    assert.ok(checked > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("writePreview refuses a stack whose image and masks disagree", () => {
  const st = synthStack(0, { size: 32, channels: 3 });
  const bad = { ...st, sparseMask: st.sparseMask.subarray(1) };
  assert.throws(() => writePreview(tmpdir(), [bad]), /stack 0 has inconsistent/);
});
