import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CLASS_COLOURS,
  channelSetup,
  DEFAULT_CLASSES,
  falseColour,
  isTopFocusChannel,
  synthStack,
  UNLABELLED,
} from "../../src/synth/index.js";

const small = { size: 64, channels: 5 };

test("a stack is the same bytes every time, whatever was made before", () => {
  const a = synthStack(3, { ...small, seed: 5 });
  for (let i = 0; i < 3; i++) synthStack(i, { ...small, seed: 5 });
  const b = synthStack(3, { ...small, seed: 5 });
  assert.deepEqual(Buffer.from(a.image.buffer), Buffer.from(b.image.buffer));
  assert.deepEqual(a.fullMask, b.fullMask);
  assert.deepEqual(a.sparseMask, b.sparseMask);
});

test("different seeds and indices give different stacks", () => {
  const a = synthStack(3, { ...small, seed: 5 });
  const differs = (x: Float32Array, y: Float32Array) => x.some((v, i) => v !== y[i]);
  assert.ok(differs(a.image, synthStack(3, { ...small, seed: 6 }).image));
  assert.ok(differs(a.image, synthStack(4, { ...small, seed: 5 }).image));
});

test("shapes, types and value ranges", () => {
  for (const [C, S] of [
    [16, 256],
    [3, 40],
    [1, 32],
  ]) {
    const st = synthStack(0, { channels: C, size: S, seed: 1 });
    assert.ok(st.image instanceof Float32Array);
    assert.equal(st.image.length, C * S * S);
    assert.equal(st.fullMask.length, S * S);
    assert.equal(st.sparseMask.length, S * S);
    for (const v of st.image) assert.ok(Number.isFinite(v) && v >= 0 && v <= 1, `pixel ${v}`);
    for (const v of st.fullMask) assert.ok(v < DEFAULT_CLASSES.length);
    for (const v of st.sparseMask) assert.ok(v < DEFAULT_CLASSES.length || v === UNLABELLED);
  }
});

test("the instrument is fixed per seed: each channel its own wavelength, focus, gain and offset", () => {
  const a = channelSetup(16, 7);
  assert.deepEqual(a, channelSetup(16, 7));
  assert.notDeepEqual(a.gain, channelSetup(16, 8).gain);
  for (const key of ["wavelength", "gain", "offset"] as const)
    assert.equal(new Set(a[key]).size, 16, `${key} repeats`);
  // A few channels focus on the chamber top; the rest near the sample.
  const top = [...a.focus.keys()].filter((c) => isTopFocusChannel(c, 16));
  assert.deepEqual(top, [4, 9, 14]);
  for (let c = 0; c < 16; c++) {
    if (top.includes(c)) assert.ok(a.sigmaTop[c] < 1 && a.sigmaSample[c] > 1.5);
    else assert.ok(a.sigmaTop[c] > 1.5 && a.sigmaSample[c] < 1.5);
  }
});

test("bad options are refused by name", () => {
  assert.throws(() => synthStack(-1), /index -1/);
  assert.throws(() => synthStack(0, { channels: 0 }), /channels 0/);
  assert.throws(() => synthStack(0, { size: 4.5 }), /size 4.5/);
  assert.throws(() => synthStack(0, { labelFraction: 2 }), /labelFraction 2/);
});

test("falseColour stretches each picked channel to the full byte range and checks its input", () => {
  const st = synthStack(1, { size: 64, channels: 8, seed: 3 });
  const rgb = falseColour(st.image, 8, 64);
  assert.equal(rgb.length, 64 * 64 * 3);
  for (let k = 0; k < 3; k++) {
    let lo = 255;
    let hi = 0;
    for (let p = 0; p < 64 * 64; p++) {
      lo = Math.min(lo, rgb[p * 3 + k]);
      hi = Math.max(hi, rgb[p * 3 + k]);
    }
    assert.equal(lo, 0);
    assert.equal(hi, 255);
  }
  assert.throws(() => falseColour(st.image, 8, 64, [0, 1, 8]), /channel 8/);
  assert.throws(() => falseColour(st.image, 7, 64), /not 7 x 64 x 64/);
});

test("class colours are distinct", () => {
  assert.equal(CLASS_COLOURS.length, DEFAULT_CLASSES.length);
  assert.equal(new Set(CLASS_COLOURS.map((c) => c.join())).size, CLASS_COLOURS.length);
});
