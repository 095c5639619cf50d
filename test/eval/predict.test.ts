import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { hannWindow, predictStack, slidingWindows, windowStarts } from "../../src/eval/predict.js";
import { readNpy, writeNpy } from "../../src/io/npy.js";
import { readPng } from "../../src/io/png.js";
import { BasicUNet } from "../../src/models/unet.js";
import { UNETR } from "../../src/models/unetr.js";
import { inputFiles, predictFiles } from "../../src/pipeline/predict-files.js";
import {
  liveTensors,
  manualSeed,
  nn,
  noGrad,
  randn,
  scope,
  type Tensor,
  tensor,
} from "../../src/torch/index.js";
import { assertClose } from "../helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "hemoseg-predict-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A per-pixel model (one 1x1 conv): its output at a pixel depends on that pixel only. */
class PixelModel extends nn.Module {
  readonly conv: nn.Conv2d;
  constructor(C: number, K: number) {
    super();
    this.conv = this.module("conv", new nn.Conv2d(C, K, 1));
  }
  forward(x: Tensor): Tensor {
    return this.conv.forward(x);
  }
}

/** How many windows cover each pixel. */
function coverage(H: number, W: number, tile: number, overlap: number): Uint16Array {
  const n = new Uint16Array(H * W);
  for (const { y, x } of slidingWindows(H, W, tile, overlap))
    for (let i = y; i < y + tile; i++) for (let j = x; j < x + tile; j++) n[i * W + j]++;
  return n;
}

describe("sliding windows", () => {
  it("cover every pixel of sizes that are not multiples of the tile, staying inside the image", () => {
    for (const [H, W, overlap] of [
      [50, 77, 0.5],
      [16, 33, 0],
      [31, 16, 0.25],
      [16, 16, 0.5],
    ]) {
      const wins = slidingWindows(H, W, 16, overlap);
      for (const { y, x } of wins)
        assert.ok(y >= 0 && x >= 0 && y + 16 <= H && x + 16 <= W, `window (${y}, ${x}) in ${H}x${W}`);
      assert.ok(
        coverage(H, W, 16, overlap).every((c) => c > 0),
        `${H}x${W} overlap ${overlap}: a pixel is uncovered`,
      );
    }
    assert.deepEqual(windowStarts(50, 16, 0.5), [0, 8, 16, 24, 32, 34]);
    assert.deepEqual(windowStarts(16, 16, 0.5), [0]);
    assert.deepEqual(windowStarts(33, 16, 0), [0, 16, 17]);
    assert.throws(() => windowStarts(15, 16, 0.5), /smaller than the tile/);
    assert.throws(() => slidingWindows(32, 32, 16, 1), /overlap must be in \[0, 1\)/);
  });

  it("Hann weights at 50% overlap sum to exactly 1 wherever two windows overlap on each axis", () => {
    const T = 16;
    const w = hannWindow(T);
    assert.ok(
      w.every((v) => v > 0),
      "never zero, so border pixels keep a weight",
    );
    const H = 64;
    const sum = new Float64Array(H * H);
    for (const { y, x } of slidingWindows(H, H, T, 0.5))
      for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) sum[(y + i) * H + x + j] += w[i * T + j];
    for (let i = T / 2; i < H - T / 2; i++)
      for (let j = T / 2; j < H - T / 2; j++)
        assert.ok(Math.abs(sum[i * H + j] - 1) < 1e-6, `sum at (${i}, ${j}) is ${sum[i * H + j]}`);
    assert.ok(sum[0] < 0.01, "a corner pixel only sees one window's small edge weight");
  });
});

describe("predictStack", () => {
  it("blends a position-independent model's tiles into exactly its whole-image output", () => {
    manualSeed(1);
    const before = liveTensors();
    const model = new PixelModel(3, 4);
    const image = scope(() => randn([3, 37, 45]).mul(5).add(2));
    const mean = [1, 2, 3];
    const std = [4, 5, 0]; // a constant channel is centred only
    const r = predictStack(model, image, { tile: 16, overlap: 0.5, batch: 3, mean, std, probs: true });
    const want = scope(() =>
      noGrad(() => {
        const x = image
          .sub(tensor(Float32Array.from(mean), [3, 1, 1]))
          .div(tensor(Float32Array.from([4, 5, 1]), [3, 1, 1]));
        return model.forward(x.unsqueeze(0)).select(0, 0).softmax(0);
      }),
    );
    assertClose(r.probs!, want, 1e-5, "blended probabilities");
    const wantLabels = scope(() => want.argmax(0).to("uint8").toTypedArray() as Uint8Array);
    assert.equal(r.labels.length, 37 * 45);
    assert.deepEqual(r.labels, wantLabels);
    for (const t of [image, want, r.probs!]) t.dispose();
    model.dispose();
    assert.equal(liveTensors(), before, "no tensor leaks");
  });

  it("on an image of exactly one tile equals a plain UNETR forward", () => {
    manualSeed(2);
    const model = new UNETR({
      vit: {
        hiddenSize: 16,
        numHiddenLayers: 2,
        numAttentionHeads: 2,
        intermediateSize: 32,
        hiddenAct: "gelu",
        layerNormEps: 1e-12,
        imageSize: 16,
        patchSize: 4,
        numChannels: 2,
        qkvBias: true,
        initializerRange: 0.02,
        hiddenDropoutProb: 0,
        attentionProbsDropoutProb: 0,
      },
      outChannels: 3,
      featureSize: 4,
      skipLayers: [2],
    });
    const image = randn([2, 16, 16]);
    const r = predictStack(model, image, { tile: 16, mean: [0, 0], std: [1, 1], probs: true });
    const want = scope(() => noGrad(() => model.forward(image.unsqueeze(0)).select(0, 0).softmax(0)));
    assertClose(r.probs!, want, 1e-5, "one-tile probabilities");
    assert.deepEqual(
      r.labels,
      scope(() => want.argmax(0).to("uint8").toTypedArray()),
    );
    // A larger image labels every pixel with a valid class.
    const big = randn([2, 21, 30]);
    const rb = predictStack(model, big, { tile: 16, mean: [0, 0], std: [1, 1], overlap: 0.25 });
    assert.equal(rb.labels.length, 21 * 30);
    assert.ok(rb.labels.every((v) => v < 3));
    assert.throws(
      () => predictStack(model, randn([2, 15, 30]), { tile: 16, mean: [0, 0], std: [1, 1] }),
      /smaller than one 16 x 16 tile/,
    );
    for (const t of [image, want, r.probs!, big]) t.dispose();
    model.dispose();
  });
});

describe("predictFiles (hemoseg predict)", () => {
  const run = join(tmp, "run");
  const classes = ["background", "cell", "bead"];
  manualSeed(3);
  const unet = new BasicUNet({ inChannels: 2, outChannels: 3, features: [4, 4, 4, 4, 4, 4] });
  unet.savePretrained(join(run, "best"));
  unet.dispose();
  const runJson = {
    command: "train-unet",
    data: join(tmp, "nowhere"),
    classes,
    stats: { mean: [0.5, 1], std: [2, 3] },
    tile: 16,
    channels: 2,
  };
  writeFileSync(join(run, "run.json"), JSON.stringify(runJson));
  const inputs = join(tmp, "inputs");
  mkdirSync(inputs);
  const save = (name: string, shape: number[]) => {
    const t = randn(shape);
    writeNpy(join(inputs, name), t);
    t.dispose();
  };
  save("a.npy", [2, 20, 37]);
  save("b.npy", [2, 16, 16]);

  it("writes index PNG, uint8 .npy and overlay per input, a legend and predict.json", async () => {
    const out = join(tmp, "out");
    const { done, skipped } = await predictFiles({
      run,
      input: inputs,
      out,
      overlap: 0.5,
      batch: 4,
      which: "best",
      device: "cpu",
    });
    assert.deepEqual(skipped, []);
    assert.deepEqual(
      done.map((f) => [f.input, f.height, f.width]),
      [
        [join(inputs, "a.npy"), 20, 37],
        [join(inputs, "b.npy"), 16, 16],
      ],
    );
    const npy = readNpy(join(out, "a_labels.npy"));
    assert.equal(npy.dtype, "uint8");
    assert.deepEqual(npy.shape, [20, 37]);
    const labels = npy.toTypedArray() as Uint8Array;
    npy.dispose();
    const png = readPng(join(out, "a_labels.png"));
    assert.deepEqual([png.width, png.height, png.channels], [37, 20, 1]);
    assert.ok(png.palette, "a palette (index) image");
    assert.deepEqual(png.data, labels, "the PNG's indices are the labels");
    assert.deepEqual(
      done[0].counts.reduce((a, b) => a + b),
      20 * 37,
    );
    const ov = readPng(join(out, "a_overlay.png"));
    assert.deepEqual([ov.width, ov.height, ov.channels], [37, 20, 3]);
    const summary = JSON.parse(readFileSync(join(out, "predict.json"), "utf8"));
    assert.deepEqual(
      summary.classes.map((c: { name: string }) => c.name),
      classes,
    );
    assert.equal(summary.files.length, 2);
    assert.ok(readPng(join(out, "legend.png")).height > 3 * 10);
  });

  it("skips wrong channel counts, too-small and unreadable files, naming each and the reason", async () => {
    const o = {
      run,
      out: join(tmp, "bad"),
      overlap: 0.5,
      batch: 4,
      which: "best" as const,
      device: "cpu" as const,
    };
    const bad = join(tmp, "three.npy");
    const t = randn([3, 20, 20]);
    writeNpy(bad, t);
    t.dispose();
    const skippedOnly = async (input: string) => {
      const r = await predictFiles({ ...o, input });
      assert.equal(r.done.length, 0);
      assert.deepEqual(
        r.skipped.map((s) => s.input),
        [input],
      );
      return r.skipped[0].reason;
    };
    assert.match(await skippedOnly(bad), /^has 3 channels; the model .* was trained on 2$/);
    const small = join(tmp, "small.npy");
    const s = randn([2, 12, 40]);
    writeNpy(small, s);
    s.dispose();
    assert.match(await skippedOnly(small), /^12 x 40 is smaller/);
    const junk = join(tmp, "junk.npy");
    writeFileSync(junk, "not an array");
    assert.match(await skippedOnly(junk), /\.npy/);
    assert.throws(() => inputFiles(join(tmp, "missing")), /missing: not found/);
  });
});
