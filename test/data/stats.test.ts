import assert from "node:assert/strict";
import { test } from "node:test";
import { mixSeed, rng } from "../../src/data/random.js";
import { ChannelStats, stackMoments } from "../../src/data/stats.js";

test("streamed per-channel moments equal the two-pass mean and std (ddof 0) of all pixels", () => {
  const C = 3;
  const plane = 500;
  const r = rng(mixSeed(7));
  const stacks = Array.from({ length: 9 }, (_, s) =>
    Float32Array.from({ length: C * plane }, (_, i) => 1000 + s * 3 + (Math.floor(i / plane) + 1) * r()),
  );
  const acc = new ChannelStats(C);
  for (const s of stacks) acc.add(stackMoments(s, C));
  const got = acc.result();
  for (let c = 0; c < C; c++) {
    const vals = stacks.flatMap((s) => Array.from(s.subarray(c * plane, (c + 1) * plane)));
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const std = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length);
    assert.ok(Math.abs(got.mean[c] - mean) < 1e-9 * Math.abs(mean), `mean ${c}: ${got.mean[c]} vs ${mean}`);
    assert.ok(Math.abs(got.std[c] - std) < 1e-9 * std, `std ${c}: ${got.std[c]} vs ${std}`);
  }
  assert.throws(() => new ChannelStats(2).result(), /no pixels/);
});
