import assert from "node:assert/strict";
import { test } from "node:test";
import {
  blues,
  CLASS_COLOURS,
  classPalette,
  falseColour,
  labelsToRgb,
  luminance,
  overlay,
  percentile,
} from "../../src/viz/colours.js";

test("the class palette starts with the 11 defaults and extends with distinct colours", () => {
  assert.equal(CLASS_COLOURS.length, 11);
  assert.deepEqual(classPalette(), CLASS_COLOURS);
  assert.deepEqual(classPalette(3), CLASS_COLOURS.slice(0, 3));
  const p = classPalette(40);
  assert.equal(p.length, 40);
  assert.equal(new Set(p.map((c) => c.join())).size, 40, "40 distinct colours");
  assert.ok(p.every((c) => c.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)));
});

test("percentile interpolates like numpy and ignores non-finite values", () => {
  // numpy.percentile([1, 2, 3, 4], [0, 25, 50, 99, 100]) = 1, 1.75, 2.5, 3.97, 4
  const v = [4, NaN, 1, 3, 2, Infinity];
  assert.equal(percentile(v, 0), 1);
  assert.equal(percentile(v, 25), 1.75);
  assert.equal(percentile(v, 50), 2.5);
  assert.ok(Math.abs(percentile(v, 99) - 3.97) < 1e-12);
  assert.equal(percentile(v, 100), 4);
  assert.equal(percentile([], 50), 0);
});

test("falseColour stretches each chosen channel between its percentiles into its RGB slot", () => {
  const [C, H, W] = [3, 2, 3];
  const img = new Float32Array(C * H * W);
  for (let i = 0; i < H * W; i++) {
    img[i] = 7; // channel 0: constant
    img[H * W + i] = i; // channel 1: ramp 0..5
    img[2 * H * W + i] = 10 - 2 * i; // channel 2: falling ramp
  }
  const full = falseColour(img, C, H, W, [1, 2, 0], [0, 100]);
  assert.equal(full.length, H * W * 3);
  assert.deepEqual(
    Array.from({ length: H * W }, (_, i) => full[i * 3 + 1]),
    [255, 204, 153, 102, 51, 0],
    "G = channel 2, inverted ramp",
  );
  assert.ok(
    Array.from({ length: H * W }, (_, i) => full[i * 3 + 2]).every((v) => v === 0),
    "B = constant channel",
  );
  // One hot pixel among 200: the default 1-99 stretch saturates it instead of crushing the rest.
  const ramp = Float32Array.from({ length: 200 }, (_, i) => i);
  ramp[199] = 1e6;
  const clipped = falseColour(ramp, 1, 10, 20, [0, 0, 0]);
  assert.equal(clipped[199 * 3], 255, "outlier saturates");
  assert.ok(
    clipped[100 * 3] > 100 && clipped[100 * 3] < 160,
    `mid-ramp stays mid-grey (${clipped[100 * 3]})`,
  );
  assert.throws(() => falseColour(img, C, H, W, [0, 1, 3]), /channel 3 is outside \[0, 3\)/);
  assert.throws(() => falseColour(img, 4, H, W, [0, 1, 2]), /expected C\*H\*W/);
});

test("labelsToRgb paints classes, ignore pixels black; overlay blends only labelled pixels", () => {
  const labels = new Uint8Array([0, 2, 255, 10]);
  const rgb = labelsToRgb(labels);
  assert.deepEqual([...rgb.subarray(0, 3)], [...CLASS_COLOURS[0]]);
  assert.deepEqual([...rgb.subarray(3, 6)], [...CLASS_COLOURS[2]]);
  assert.deepEqual([...rgb.subarray(6, 9)], [0, 0, 0]);
  assert.deepEqual([...rgb.subarray(9, 12)], [...CLASS_COLOURS[10]]);
  assert.throws(() => labelsToRgb(new Uint8Array([11])), /label 11 has no colour \(palette of 11\)/);

  const image = new Uint8Array(12).fill(100);
  const o = overlay(
    image,
    labels,
    [[200, 0, 100], [0, 0, 0], [0, 250, 0], ...classPalette(11).slice(3)],
    0.5,
  );
  assert.deepEqual([...o.subarray(0, 3)], [150, 50, 100]);
  assert.deepEqual([...o.subarray(3, 6)], [50, 175, 50]);
  assert.deepEqual([...o.subarray(6, 9)], [100, 100, 100], "unlabelled pixel keeps the image");
  assert.throws(() => overlay(new Uint8Array(9), labels), /3 pixels, labels 4/);
});

test("blues runs from near-white to dark blue, monotonically darker", () => {
  assert.deepEqual(blues(0), [247, 251, 255]);
  assert.deepEqual(blues(1), [8, 48, 107]);
  assert.deepEqual(blues(2), blues(1), "clamped");
  let prev = Infinity;
  for (let t = 0; t <= 1; t += 0.05) {
    const l = luminance(blues(t));
    assert.ok(l < prev, `luminance falls at ${t}`);
    prev = l;
  }
});
