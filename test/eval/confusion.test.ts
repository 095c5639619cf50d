import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfusionMatrix } from "../../src/eval/confusion.js";
import { liveTensors, manualSeed, randint, scope, tensor } from "../../src/torch/index.js";

test("addArrays counts rows = true class, cols = prediction, and skips the ignore index", () => {
  const cm = new ConfusionMatrix(3);
  //                 t: 0  0  1  1  2  255 255 2
  cm.addArrays([0, 1, 1, 2, 2, 0, 7, 0], [0, 0, 1, 1, 2, 255, 255, 2]);
  assert.deepEqual(cm.counts, [
    [1, 1, 0],
    [0, 1, 1],
    [1, 0, 1],
  ]);
  assert.equal(cm.total, 6);
  assert.deepEqual(cm.rowNormalised(), [
    [0.5, 0.5, 0],
    [0, 0.5, 0.5],
    [0.5, 0, 0.5],
  ]);
});

test("a row with no support normalises to zeros; merge adds; JSON round-trips", () => {
  const a = new ConfusionMatrix(3, 255);
  a.addArrays([0, 2], [0, 0]);
  const b = new ConfusionMatrix(3, 255);
  b.addArrays([1, 1, 1], [1, 1, 0]);
  a.merge(b);
  assert.deepEqual(a.counts, [
    [1, 1, 1],
    [0, 2, 0],
    [0, 0, 0],
  ]);
  assert.deepEqual(a.rowNormalised()[2], [0, 0, 0]);
  const j = JSON.parse(JSON.stringify(a));
  assert.deepEqual(j, { numClasses: 3, ignoreIndex: 255, counts: a.counts });
  assert.deepEqual(ConfusionMatrix.fromJSON(j).counts, a.counts);
  assert.throws(() => a.merge(new ConfusionMatrix(4)), /4 classes vs 3/);
});

test("add on tensors equals addArrays (uint8 masks with ignore pixels, int64 predictions)", () => {
  manualSeed(3);
  const before = liveTensors();
  const K = 11;
  const viaTensor = new ConfusionMatrix(K);
  const viaArrays = new ConfusionMatrix(K);
  for (let step = 0; step < 3; step++) {
    scope(() => {
      const target0 = randint(0, K, [2, 16, 16]);
      const unlabelled = randint(0, 4, [2, 16, 16]).eq(0);
      const target = target0.maskedFill(unlabelled, 255).to("uint8"); // (B, H, W)
      const pred = randint(0, K, [2, 16, 16]); // (B, H, W) int64
      viaTensor.add(pred, target);
      viaArrays.addArrays(pred.toArray(), target.toArray());
    });
  }
  assert.deepEqual(viaTensor.counts, viaArrays.counts);
  assert.ok(viaTensor.total > 2 * 16 * 16 && viaTensor.total < 3 * 2 * 16 * 16, "some pixels were ignored");
  assert.equal(liveTensors(), before, "add frees its intermediates");
});

test("a custom ignore index is skipped; predictions under ignored pixels are not checked", () => {
  const cm = new ConfusionMatrix(2, -1);
  scope(() => cm.add(tensor(new Int32Array([0, 1, 9, 1])), tensor(new Int32Array([0, 1, -1, 0]))));
  assert.deepEqual(cm.counts, [
    [1, 1],
    [0, 1],
  ]);
});

test("bad labels, predictions, dtypes and shapes are rejected with a clear error", () => {
  const before = liveTensors();
  const cm = new ConfusionMatrix(11);
  scope(() => {
    const pred = tensor(new Int32Array([0, 1, 2]));
    assert.throws(
      () => cm.add(pred, tensor(new Uint8Array([0, 11, 255]))),
      /target value 11 is outside \[0, 11\) and not the ignore index 255/,
    );
    assert.throws(
      () => cm.add(tensor(new Int32Array([0, -3, 2])), tensor(new Uint8Array([0, 1, 2]))),
      /pred value -3/,
    );
    assert.throws(
      () => cm.add(pred.float(), tensor(new Uint8Array([0, 1, 2]))),
      /\(an integer dtype\), got float32/,
    );
    assert.throws(
      () => cm.add(pred, tensor(new Uint8Array([0, 1]))),
      /pred shape \[3\] differs from target shape \[2\]/,
    );
  });
  assert.equal(cm.total, 0, "a rejected batch adds nothing");
  assert.throws(() => cm.addArrays([0], [12]), /target value 12 at 0 is outside/);
  assert.throws(() => cm.addArrays([11], [1]), /pred value 11 at 0/);
  assert.throws(() => cm.addArrays([1, 2], [1]), /pred has 2 elements, target 1/);
  assert.throws(() => new ConfusionMatrix(4, 2), /ignoreIndex 2 is a valid class/);
  assert.equal(liveTensors(), before, "failed adds free their intermediates");
});
