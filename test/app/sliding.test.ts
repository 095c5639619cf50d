// The browser's sliding window (src/app/web/sliding.ts) against hemoseg predict's (src/eval/predict.ts):
// the same windows and weights, and the same labels from the same model.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Blender,
  cropBatch,
  hannWindow,
  normalise,
  slidingWindows,
  windowStarts,
} from "../../src/app/web/sliding.js";
import * as ref from "../../src/eval/predict.js";
import { BasicUNet } from "../../src/models/unet.js";
import { manualSeed, noGrad, randn, scope, tensor } from "../../src/torch/index.js";

test("window starts and Hann weights are hemoseg predict's", () => {
  for (const [size, tile, overlap] of [
    [64, 32, 0.5],
    [37, 16, 0.5],
    [100, 32, 0.25],
    [32, 32, 0.5],
    [33, 8, 0.9],
  ]) {
    assert.deepEqual(windowStarts(size, tile, overlap), ref.windowStarts(size, tile, overlap));
    assert.deepEqual(
      slidingWindows(size, size + 3, tile, overlap),
      ref.slidingWindows(size, size + 3, tile, overlap),
    );
  }
  assert.deepEqual(hannWindow(16), ref.hannWindow(16));
  assert.throws(() => windowStarts(15, 16, 0.5), /size 15 is smaller than the tile 16/);
  assert.throws(() => slidingWindows(20, 20, 16, 1), /overlap must be in \[0, 1\)/);
});

test("normalise: (x - mean) / std per channel, std 0 counted as 1", () => {
  const x = normalise([1, 2, 3, 4, 10, 20, 30, 40], 2, [1, 10], [2, 0]);
  assert.deepEqual(Array.from(x), [0, 0.5, 1, 1.5, 0, 10, 20, 30]);
  assert.throws(() => normalise([1, 2], 2, [0], [1]), /2 channels but statistics for 1/);
});

test("normalise, crop, run, blend and argmax give predictStack's labels for the same model", () => {
  manualSeed(5);
  const model = new BasicUNet({ inChannels: 2, outChannels: 3, features: [4, 4, 4, 4, 4, 4] });
  model.eval();
  const [C, H, W, T] = [2, 21, 30, 16];
  const mean = [0.5, -1];
  const std = [2, 0.5];
  const image = randn([C, H, W]);
  const raw = image.toFloat32Array();
  try {
    const want = ref.predictStack(model, image, { tile: T, overlap: 0.5, batch: 3, mean, std }).labels;
    const x = normalise(raw, C, mean, std);
    const windows = slidingWindows(H, W, T, 0.5);
    const blender = new Blender(3, H, W, T);
    for (let i = 0; i < windows.length; i += 3) {
      const group = windows.slice(i, i + 3);
      const logits = scope(() =>
        noGrad(() =>
          model.forward(tensor(cropBatch(x, C, H, W, T, group), [group.length, C, T, T])).toFloat32Array(),
        ),
      );
      blender.add(logits, group);
    }
    const got = blender.labels();
    let same = 0;
    for (let i = 0; i < got.length; i++) if (got[i] === want[i]) same++;
    assert.equal(same, H * W, `${H * W - same} of ${H * W} pixels differ`);
    assert.throws(() => blender.add(new Float32Array(5), windows.slice(0, 1)), /gave 5 logits for 1 windows/);
  } finally {
    image.dispose();
    model.dispose();
  }
});
