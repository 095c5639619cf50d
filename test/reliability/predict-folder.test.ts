// predict over a folder of good and bad files: every good file is labelled, every bad one is
// reported with its reason (NaN pixels, an empty array, a corrupt PNG, a wrong channel count, a
// too-small image) and leaves no outputs; predict.json records both; the exit status is 1.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { npyHeader, writeNpy } from "../../src/io/npy.js";
import { writePng } from "../../src/io/png.js";
import { predictFiles } from "../../src/pipeline/predict-files.js";
import { tensor } from "../../src/torch/index.js";
import { runCli, tempDir } from "./child.js";
import { makeSegRun } from "./seg-run.js";

function saveNpy(path: string, shape: number[], fill: (i: number) => number): void {
  const n = shape.reduce((a, b) => a * b, 1);
  const t = tensor(
    Float32Array.from({ length: n }, (_, i) => fill(i)),
    shape,
  );
  writeNpy(path, t);
  t.dispose();
}

test("predict on a folder of mixed files labels the good ones, reports each bad one and exits 1", () => {
  const { dir, cleanup } = tempDir();
  try {
    const run = makeSegRun(join(dir, "run"));
    const input = join(dir, "in");
    mkdirSync(input);
    const at = (f: string) => join(input, f);
    saveNpy(at("a_good.npy"), [3, 24, 20], (i) => (i % 17) / 17);
    writePng(at("b_good.png"), {
      width: 16,
      height: 18,
      channels: 3,
      data: Uint8Array.from({ length: 16 * 18 * 3 }, (_, i) => i % 251),
    });
    saveNpy(at("c_nan.npy"), [3, 20, 20], (i) => (i === 3 * 20 + 5 ? Number.NaN : 0.5));
    writeFileSync(at("d_empty.npy"), npyHeader("float32", [0, 3, 64, 64]));
    writeFileSync(at("e_corrupt.png"), Buffer.from("\x89PNG\r\n\x1a\nnot really"));
    saveNpy(at("f_twochannels.npy"), [2, 20, 20], () => 0);
    saveNpy(at("g_small.npy"), [3, 8, 40], () => 0);
    saveNpy(at("h_good.npy"), [3, 16, 16], (i) => i / 768);
    const out = join(dir, "out");
    const r = runCli(["predict", "--run", run, "--input", input, "--out", out, "--threads", "1"]);
    assert.equal(r.status, 1, r.stderr);
    const summary = JSON.parse(readFileSync(join(out, "predict.json"), "utf8"));
    assert.deepEqual(
      summary.files.map((f: { input: string }) => f.input),
      [at("a_good.npy"), at("b_good.png"), at("h_good.npy")],
      "every good file is labelled, including those after the bad ones",
    );
    assert.deepEqual(summary.counts, { inputs: 8, done: 3, skipped: 5 });
    const why = Object.fromEntries(
      summary.skipped.map((s: { input: string; reason: string }) => [
        s.input.slice(input.length + 1),
        s.reason,
      ]),
    );
    assert.deepEqual(Object.keys(why), [
      "c_nan.npy",
      "d_empty.npy",
      "e_corrupt.png",
      "f_twochannels.npy",
      "g_small.npy",
    ]);
    assert.match(
      why["c_nan.npy"],
      /^holds 1 non-finite value\(s\) \(the first, NaN, at channel 0, row 3, column 5\)/,
    );
    assert.match(why["d_empty.npy"], /0 x 64 is smaller than the model's 16 x 16 tile|shape \[0,3,64,64\]/);
    assert.match(why["e_corrupt.png"], /not a valid PNG/);
    assert.match(why["f_twochannels.npy"], /^has 2 channels; the model .* was trained on 3$/);
    assert.match(why["g_small.npy"], /^8 x 40 is smaller than the model's 16 x 16 tile$/);
    for (const stem of ["a_good", "b_good", "h_good"])
      for (const suffix of ["_labels.png", "_labels.npy", "_overlay.png"])
        assert.ok(existsSync(join(out, stem + suffix)), stem + suffix);
    for (const stem of ["c_nan", "d_empty", "e_corrupt", "f_twochannels", "g_small"])
      assert.ok(!existsSync(join(out, `${stem}_labels.png`)), `no outputs for ${stem}`);
    for (const [name, reason] of Object.entries(why))
      assert.ok(r.stderr.includes(`hemoseg: skipped ${at(name)}: ${reason}`), `stderr reports ${name}`);
    assert.match(r.stderr, /5 of 8 file\(s\) could not be labelled/);
    assert.doesNotMatch(r.stderr, /Cannot read properties/);
  } finally {
    cleanup();
  }
});

test("predict into an --out that cannot be created names that folder and why, not an input", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const run = makeSegRun(join(dir, "run"));
    const input = join(dir, "scan.npy");
    saveNpy(input, [3, 16, 16], (i) => i / 768);
    const blocker = join(dir, "a-file");
    writeFileSync(blocker, "not a folder");
    const out = join(blocker, "out");
    await assert.rejects(
      predictFiles({ run, input, out, overlap: 0.5, batch: 4, which: "best", device: "cpu" }),
      { message: `${out}: cannot create the output folder: a part of the path is not a folder (ENOTDIR)` },
    );
  } finally {
    cleanup();
  }
});
