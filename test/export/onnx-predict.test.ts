import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { exportRunToFile } from "../../src/export/onnx/export.js";
import { writeNpy } from "../../src/io/npy.js";
import { writeNpz } from "../../src/io/npz.js";
import { BasicUNet } from "../../src/models/unet.js";
import { UNETR } from "../../src/models/unetr.js";
import { predictFiles } from "../../src/pipeline/predict-files.js";
import { manualSeed, noGrad, randn } from "../../src/torch/index.js";
import { ROOT, tinyViT } from "../helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "hemoseg-onnx-predict-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const classes = ["background", "cell", "bead"];
const stats = { mean: [0.5, 1], std: [2, 0] };

function makeRun(name: string, model: UNETR | BasicUNet): string {
  const run = join(tmp, name);
  noGrad(() => {
    for (const p of model.parameters()) {
      const r = randn(p.shape).mul(0.1);
      p.add_(r);
      r.dispose();
    }
  });
  model.savePretrained(join(run, "best"));
  model.dispose();
  writeFileSync(
    join(run, "run.json"),
    JSON.stringify({ command: "finetune", data: "data", classes, stats, tile: 16, channels: 2 }),
  );
  return run;
}

manualSeed(11);
const runs = {
  unet: makeRun("unet", new BasicUNet({ inChannels: 2, outChannels: 3, features: [4, 4, 4, 4, 4, 4] })),
  unetr: makeRun(
    "unetr",
    UNETR.create(
      tinyViT(4, {
        hiddenSize: 16,
        numHiddenLayers: 2,
        layerNormEps: 1e-12,
        imageSize: 16,
        numChannels: 2,
      }),
      { outChannels: 3, featureSize: 4 },
    ),
  ),
};
const inputs = join(tmp, "inputs");
mkdirSync(inputs);
{
  const a = randn([2, 40, 37]).mul(3);
  writeNpy(join(inputs, "a.npy"), a);
  const b = randn([2, 16, 23]);
  writeNpz(join(inputs, "b.npz"), { image: b }, { compress: true });
  a.dispose();
  b.dispose();
}

const common = { input: inputs, overlap: 0.5, batch: 3, which: "best" as const, device: "cpu" as const };

/** Fraction of equal bytes in two label files (.npy: same header, then one byte per pixel). */
function agreement(a: string, b: string): number {
  const x = readFileSync(a);
  const y = readFileSync(b);
  assert.equal(x.length, y.length, `${a} and ${b} differ in size`);
  let same = 0;
  for (let i = 0; i < x.length; i++) same += x[i] === y[i] ? 1 : 0;
  return same / x.length;
}

describe("hemoseg predict --engine onnx", () => {
  for (const arch of ["unet", "unetr"] as const) {
    it(`${arch}: the exported model labels every file as the libtorch engine does`, async () => {
      const onnx = join(tmp, `${arch}.onnx`);
      exportRunToFile({ run: runs[arch], onnx });
      const outT = join(tmp, `${arch}-libtorch`);
      const outO = join(tmp, `${arch}-onnx`);
      const { done: byTorch } = await predictFiles({ ...common, run: runs[arch], out: outT });
      const { done: byOnnx } = await predictFiles({ ...common, engine: "onnx", onnx, out: outO });
      assert.deepEqual(
        byOnnx.map((f) => [f.input, f.height, f.width, f.labels, f.npy, f.overlay]),
        byTorch.map((f) => [f.input, f.height, f.width, f.labels, f.npy, f.overlay]),
      );
      for (const f of byOnnx) {
        const agree = agreement(join(outT, f.npy), join(outO, f.npy));
        assert.ok(agree >= 0.999, `${f.npy}: ${(agree * 100).toFixed(3)}% of label bytes agree`);
      }
      const summary = JSON.parse(readFileSync(join(outO, "predict.json"), "utf8"));
      assert.equal(summary.engine, "onnxruntime");
      assert.equal(summary.onnx, onnx);
      assert.deepEqual(
        summary.classes.map((c: { name: string }) => c.name),
        classes,
      );
    });
  }

  it("runs from a copy of the package with no libtorch addon at all (the ONNX path never loads it)", () => {
    const onnx = join(tmp, "unet-cli.onnx");
    exportRunToFile({ run: runs.unet, onnx });
    const pkg = join(tmp, "no-libtorch");
    cpSync(join(ROOT, "dist", "src"), join(pkg, "dist", "src"), { recursive: true });
    cpSync(join(ROOT, "package.json"), join(pkg, "package.json"));
    symlinkSync(join(ROOT, "node_modules"), join(pkg, "node_modules"));
    const cli = join(pkg, "dist", "src", "cli", "main.js");
    const out = join(tmp, "cli-out");
    const stdout = execFileSync(
      process.execPath,
      [cli, "predict", "--engine", "onnx", "--onnx", onnx, "--input", inputs, "--out", out, "--batch", "3"],
      { encoding: "utf8" },
    );
    assert.match(stdout, /2 file\(s\)/);
    assert.ok(agreement(join(tmp, "unet-onnx", "a_labels.npy"), join(out, "a_labels.npy")) === 1);
    // The same copy cannot run the libtorch engine: proof that the addon really is absent there.
    assert.throws(
      () =>
        execFileSync(
          process.execPath,
          [cli, "predict", "--run", runs.unet, "--input", inputs, "--out", out],
          {
            encoding: "utf8",
            stdio: "pipe",
            // not an addon built elsewhere either (scripts/build-cuda-check.sh sets this)
            env: { ...process.env, HEMOSEG_NATIVE_DIR: "" },
          },
        ),
      (e: Error & { stderr?: string }) => /native addon is not built/.test(e.stderr ?? ""),
    );
  });

  it("refuses a feature extractor, a foreign file, a missing --onnx and --device cuda, naming the problem", async () => {
    const enc = join(tmp, "enc.onnx");
    exportRunToFile({ run: runs.unetr, onnx: enc, what: "encoder" });
    const o = { ...common, engine: "onnx" as const, out: join(tmp, "bad") };
    await assert.rejects(
      () => predictFiles({ ...o, onnx: enc }),
      new RegExp(`${enc}: a vit feature extractor`),
    );
    const junk = join(tmp, "junk.onnx");
    writeFileSync(junk, Buffer.from([0x08, 0x07, 0x12, 0x03, 0x61]));
    await assert.rejects(() => predictFiles({ ...o, onnx: junk }), new RegExp(`${junk}: not`));
    await assert.rejects(
      () => predictFiles({ ...o, onnx: join(tmp, "nope.onnx") }),
      /nope\.onnx: cannot be read/,
    );
    await assert.rejects(() => predictFiles(o), /--engine onnx needs --onnx FILE/);
    await assert.rejects(() => predictFiles({ ...o, onnx: enc, device: "cuda" }), /runs on the CPU/);
  });
});
