// Properties of a whole synthetic set: label budget and class frequencies, every class present, labels
// consistent with the full masks, and classes that need more than one channel's threshold.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { annotate, PAPER_TABLE1 } from "../../src/synth/annotate.js";
import { C, DEFAULT_CLASSES, NUM_CLASSES, UNLABELLED } from "../../src/synth/classes.js";
import {
  channelSetup,
  isTopFocusChannel,
  labelCounts,
  type SynthStack,
  synthStack,
} from "../../src/synth/index.js";
import { rasterise } from "../../src/synth/raster.js";
import { hashSeed, Rng } from "../../src/synth/rng.js";
import { layoutScene } from "../../src/synth/scene.js";

const CH = 16;
const S = 256;
const N = S * S;
let set: SynthStack[] = [];

before(() => {
  set = Array.from({ length: 32 }, (_, i) => synthStack(i, { seed: 11 }));
});

test("about 2.3% of pixels are labelled, and every class appears in full masks and in labels", () => {
  const full = new Array<number>(NUM_CLASSES).fill(0);
  const sparse = new Array<number>(NUM_CLASSES).fill(0);
  for (const st of set) {
    for (const v of st.fullMask) full[v]++;
    labelCounts(st.sparseMask).forEach((n, c) => {
      sparse[c] += n;
    });
  }
  const fraction = sparse.reduce((a, b) => a + b) / (set.length * N);
  assert.ok(Math.abs(fraction - 0.023) <= 0.005, `label fraction ${fraction}`);
  DEFAULT_CLASSES.forEach((name, c) => {
    assert.ok(full[c] > 0, `${name} never in a full mask`);
    assert.ok(sparse[c] > 0, `${name} never labelled`);
  });
});

test("sparse labels agree with the full mask wherever they exist", () => {
  for (const st of set)
    st.sparseMask.forEach((v, p) => {
      if (v !== UNLABELLED) assert.equal(v, st.fullMask[p]);
    });
});

test("labelled-pixel class frequencies come near the seed paper's Table 1", () => {
  // Scenes and labels only (no image): many stacks in little time.
  const counts = new Array<number>(NUM_CLASSES).fill(0);
  for (let i = 0; i < 160; i++) {
    const mask = rasterise(layoutScene(new Rng(hashSeed(11, i, 1)), S)).mask;
    const labels = annotate(mask, S, new Rng(hashSeed(11, i, 3)), 0.023);
    for (const v of labels) if (v !== UNLABELLED) counts[v]++;
  }
  const total = counts.reduce((a, b) => a + b);
  const paperTotal = PAPER_TABLE1.reduce((a, b) => a + b);
  DEFAULT_CLASSES.forEach((name, c) => {
    const ratio = counts[c] / total / (PAPER_TABLE1[c] / paperTotal);
    assert.ok(
      ratio > 0.6 && ratio < 1.6,
      `${name}: ${((100 * counts[c]) / total).toFixed(2)}% vs the paper's
      ${((100 * PAPER_TABLE1[c]) / paperTotal).toFixed(2)}%`,
    );
  });
});

/** Balanced accuracy of the best threshold on scores of class a (label 0) and b (label 1). */
function bestThreshold(a: number[], b: number[]): number {
  const all = [...a.map((v) => [v, 0]), ...b.map((v) => [v, 1])].sort((x, y) => x[0] - y[0]);
  let na = 0;
  let nb = 0;
  let best = 0.5;
  for (const [, label] of all) {
    if (label === 0) na++;
    else nb++;
    const acc = (na / a.length + (b.length - nb) / b.length) / 2;
    best = Math.max(best, acc, 1 - acc);
  }
  return best;
}

/** Spectra (one per pixel) of the pixels of class `cls`, at most `max` of them spread over the set. */
function spectra(cls: number, max: number): number[][] {
  const where: [number, number][] = [];
  set.forEach((st, i) => {
    st.fullMask.forEach((v, p) => {
      if (v === cls) where.push([i, p]);
    });
  });
  const step = Math.max(1, Math.floor(where.length / max));
  return where
    .filter((_, k) => k % step === 0)
    .map(([i, p]) => Array.from({ length: CH }, (_, c) => set[i].image[c * N + p]));
}

/** Fisher's linear discriminant direction between two sets of spectra. */
function fisher(a: number[][], b: number[][]): number[] {
  const mean = (x: number[][]) => x[0].map((_, j) => x.reduce((s, v) => s + v[j], 0) / x.length);
  const ma = mean(a);
  const mb = mean(b);
  const m = Array.from({ length: CH }, (_, i) => [...new Array<number>(CH).fill(0), ma[i] - mb[i]]);
  for (const [x, mu] of [
    [a, ma],
    [b, mb],
  ] as const)
    for (const v of x)
      for (let i = 0; i < CH; i++)
        for (let j = 0; j < CH; j++) m[i][j] += ((v[i] - mu[i]) * (v[j] - mu[j])) / x.length;
  for (let i = 0; i < CH; i++) m[i][i] += 1e-6;
  // Gauss-Jordan with partial pivoting.
  for (let i = 0; i < CH; i++) {
    let piv = i;
    for (let r = i + 1; r < CH; r++) if (Math.abs(m[r][i]) > Math.abs(m[piv][i])) piv = r;
    [m[i], m[piv]] = [m[piv], m[i]];
    for (let r = 0; r < CH; r++)
      if (r !== i) {
        const f = m[r][i] / m[i][i];
        for (let k = i; k <= CH; k++) m[r][k] -= f * m[i][k];
      }
  }
  return m.map((row, i) => row[CH] / row[i]);
}

test("no single channel's threshold separates red-cell rims from beads; their spectra do", () => {
  const rim = spectra(C.rbcOuter, 6000);
  const bead = spectra(C.bead, 6000);
  assert.ok(bead.length > 500, `only ${bead.length} bead pixels`);
  const perChannel = Array.from({ length: CH }, (_, c) =>
    bestThreshold(
      rim.map((v) => v[c]),
      bead.map((v) => v[c]),
    ),
  );
  const single = Math.max(...perChannel);
  assert.ok(
    single < 0.95,
    `channel ${perChannel.indexOf(single)} alone separates them (${single.toFixed(3)})`,
  );
  const w = fisher(rim, bead);
  const project = (x: number[][]) => x.map((v) => v.reduce((s, u, j) => s + u * w[j], 0));
  const spectral = bestThreshold(project(rim), project(bead));
  assert.ok(
    spectral > single + 0.05,
    `spectra separate them no better (${spectral.toFixed(3)} vs ${single.toFixed(3)})`,
  );
});

test("beads and monster beads share a spectrum: only size and shape tell them apart", () => {
  const bead = spectra(C.bead, 4000);
  const monster = spectra(C.monsterBead, 4000);
  const w = fisher(bead, monster);
  const project = (x: number[][]) => x.map((v) => v.reduce((s, u, j) => s + u * w[j], 0));
  assert.ok(bestThreshold(project(bead), project(monster)) < 0.9);
});

const instrument = channelSetup(CH, 11);

/** Mean absolute Laplacian of channel c over the pixels of class cls, relative to the channel's brightness:
 * how sharp edges are there (noise included: compare with the background's). */
function sharpness(cls: number, c: number): number {
  let sum = 0;
  let n = 0;
  let bright = 0;
  let nb = 0;
  for (const st of set) {
    const im = st.image.subarray(c * N, (c + 1) * N);
    for (let y = 1; y < S - 1; y++)
      for (let x = 1; x < S - 1; x++) {
        const p = y * S + x;
        if (st.fullMask[p] === C.background) {
          bright += im[p];
          nb++;
        }
        if (st.fullMask[p] !== cls) continue;
        sum += Math.abs(im[p - 1] + im[p + 1] + im[p - S] + im[p + S] - 4 * im[p]);
        n++;
      }
  }
  return sum / n / (bright / nb - instrument.offset[c]);
}

test("sensor scratches are sharp in every channel, chamber-top scratches only where focused on the top", () => {
  const top: number[] = [];
  const rest: number[] = [];
  const sensor: number[] = [];
  for (let c = 0; c < CH; c++) {
    const floor = sharpness(C.background, c);
    (isTopFocusChannel(c, CH) ? top : rest).push(sharpness(C.topScratch, c) - floor);
    sensor.push(sharpness(C.sensorScratch, c) - floor);
  }
  const mean = (x: number[]) => x.reduce((a, b) => a + b) / x.length;
  assert.ok(
    mean(top) > 0.05 && mean(rest) < 0.2 * mean(top),
    `chamber top: ${mean(top)} focused, ${mean(rest)} not`,
  );
  assert.ok(Math.min(...sensor) > 0.5 * Math.max(...sensor), `sensor: ${sensor.map((v) => v.toFixed(3))}`);
});
