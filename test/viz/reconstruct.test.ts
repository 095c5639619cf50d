import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { writeDataset } from "../../src/data/dataset.js";
import { writeNpy } from "../../src/io/npy.js";
import { decodePng, readPng } from "../../src/io/png.js";
import { presetConfig } from "../../src/models/presets.js";
import { type ViTMAEConfig, ViTMAEForPreTraining } from "../../src/models/vitmae.js";
import { reconstructRun } from "../../src/pipeline/reconstruct-run.js";
import { liveTensors, manualSeed, rand, randn, scope, type Tensor } from "../../src/torch/index.js";
import { LINE_HEIGHT, textWidth } from "../../src/viz/font.js";
import {
  GRID_GAP,
  type ReconstructionRow,
  reconstruct,
  reconstructionGrid,
  unnormalisePatches,
} from "../../src/viz/reconstruct.js";
import { maxAbsDiff } from "../helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "hemoseg-reconstruct-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const tinyConfig = (o: Partial<ViTMAEConfig> = {}): ViTMAEConfig => ({
  ...presetConfig("model2", { imageSize: 16, patchSize: 4, numChannels: 3 }),
  hiddenSize: 16,
  intermediateSize: 32,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  decoderHiddenSize: 16,
  decoderIntermediateSize: 32,
  decoderNumHiddenLayers: 1,
  decoderNumAttentionHeads: 2,
  ...o,
});

describe("un-normalising norm-pix predictions", () => {
  it("a decoder that outputs exactly the normalised target gives back the original pixels", () => {
    manualSeed(0);
    const model = new ViTMAEForPreTraining(tinyConfig());
    const before = liveTensors();
    scope(() => {
      // Patches of very different offsets and scales, as real stacks have.
      const x = randn([2, 3, 16, 16])
        .mul(rand([2, 3, 1, 1]).mul(50))
        .add(randn([2, 1, 16, 16]).mul(20));
      const target = model.patchify(x); // (B, L, D)
      const mean = target.mean(-1, true);
      const normalised = target.sub(mean).div(target.var(-1, true, true).add(1e-6).sqrt());
      const mask = rand([2, target.size(1)]).round();
      // The model's own norm-pix loss agrees this is its target ...
      assert.ok(
        model.forwardLoss(x, normalised, mask).item() < 1e-10,
        "normalised as forwardLoss normalises",
      );
      // ... and un-normalising it with the original patches' statistics recovers the pixels.
      const back = model.unpatchify(unnormalisePatches(normalised, target));
      assert.ok(
        maxAbsDiff(back, x) < 1e-5 * Math.max(1, x.abs().max().item()),
        `max |diff| ${maxAbsDiff(back, x)}`,
      );
    });
    assert.equal(liveTensors(), before);
    model.dispose();
  });
});

describe("reconstruct", () => {
  it("pastes visible patches, removes the mask ratio's share and reports each tile's loss", () => {
    manualSeed(1);
    const model = new ViTMAEForPreTraining(tinyConfig());
    model.eval();
    const x = randn([3, 3, 16, 16]);
    const noise = rand([3, 16]);
    const r = reconstruct(model, x, { noise, maskRatio: 0.75 });
    assert.deepEqual(r.reconstruction.shape, [3, 3, 16, 16]);
    assert.deepEqual(r.removed.shape, [3, 16, 16]);
    const removed = r.removed.toFloat32Array();
    for (let b = 0; b < 3; b++) {
      const n = removed.subarray(b * 256, (b + 1) * 256).reduce((a, v) => a + v, 0);
      assert.equal(n, 12 * 16, "12 of 16 patches of 16 pixels removed");
    }
    scope(() => {
      const m = r.removed.unsqueeze(1);
      assert.equal(
        maxAbsDiff(r.pasted.mul(m.rsub(1)), x.mul(m.rsub(1))),
        0,
        "visible pixels are the input's",
      );
      assert.equal(
        maxAbsDiff(r.pasted.mul(m), r.reconstruction.mul(m)),
        0,
        "removed pixels are the prediction's",
      );
      for (let b = 0; b < 3; b++) {
        const one = model.forward({
          pixelValues: x.narrow(0, b, 1),
          noise: noise.narrow(0, b, 1),
          maskRatio: 0.75,
        });
        assert.ok(Math.abs(one.loss.item() - r.loss[b]) < 1e-5, `tile ${b} loss`);
      }
      // The un-normalised prediction is on the input's scale, not the unit one.
      const scaled = reconstruct(model, x.mul(100), { noise, maskRatio: 0.75 });
      assert.ok(scaled.reconstruction.std().item() > 10);
    });
    for (const t of [x, noise, r.reconstruction, r.pasted, r.removed]) t.dispose();
    model.dispose();
  });
});

describe("reconstructionGrid", () => {
  const S = 8;
  const C = 3;
  const row = (label: string[]): ReconstructionRow => {
    const original = Float32Array.from({ length: C * S * S }, (_, i) => i % 17);
    const removed = Uint8Array.from({ length: S * S }, (_, i) => (i < S * 4 ? 1 : 0)); // top half removed
    return { original, reconstruction: original.map((v) => v + 1), pasted: original, removed, label };
  };

  it("draws titles and one row per tile at the expected size, removed patches greyed", () => {
    const labels = ["#1", "loss 0.123"];
    const canvas = reconstructionGrid([row(labels), row(["#2", "loss 1.000"])], C, S, {
      channels: [0, 1, 2],
      scale: 4,
    });
    const png = decodePng(canvas.toPng());
    const cell = S * 4;
    const labelWidth = textWidth("loss 0.123") + GRID_GAP;
    assert.equal(png.width, GRID_GAP + labelWidth + 4 * (cell + GRID_GAP));
    assert.equal(png.height, GRID_GAP + LINE_HEIGHT + 2 * (cell + GRID_GAP));
    const at = (x: number, y: number) => [
      ...png.data.subarray((y * png.width + x) * 3, (y * png.width + x) * 3 + 3),
    ];
    const top = GRID_GAP + LINE_HEIGHT;
    const col = (k: number) => GRID_GAP + labelWidth + k * (cell + GRID_GAP);
    assert.deepEqual(at(col(1) + 2, top + 2), [128, 128, 128], "masked column: removed pixel is grey");
    assert.deepEqual(
      at(col(1) + 2, top + cell - 2),
      at(col(0) + 2, top + cell - 2),
      "masked column: visible pixel is the original's",
    );
    assert.notDeepEqual(
      at(col(2) + 2, top + cell - 2),
      at(col(0) + 2, top + cell - 2),
      "reconstruction differs",
    );
    let ink = 0;
    for (let y = GRID_GAP; y < GRID_GAP + 7; y++)
      for (let x = col(0); x < col(4); x++) if (at(x, y)[0] < 128) ink++;
    assert.ok(ink > 100, "column titles are drawn");
    assert.throws(() => reconstructionGrid([row([])], C, S, { channels: [0, 1, 3] }), /channel 3 is outside/);
  });
});

describe("reconstructRun (hemoseg reconstruct)", () => {
  const C = 3;
  const data = join(tmp, "data");
  manualSeed(2);
  writeDataset(data, { kind: "pretrain", count: 10, channels: C, height: 32, width: 32, seed: 0 }, (w) => {
    for (let i = 0; i < 10; i++) {
      const t = scope(() => randn([C, 32, 32]).mul(3).add(10));
      w.append({ image: t });
      t.dispose();
    }
  });
  const run = join(tmp, "run");
  const model = new ViTMAEForPreTraining(tinyConfig());
  model.savePretrained(join(run, "best"));
  model.dispose();
  writeFileSync(join(run, "run.json"), JSON.stringify({ command: "pretrain", data }));
  const base = {
    run,
    split: "train" as const,
    which: "best" as const,
    rowsPerGrid: 2,
    device: "cpu" as const,
  };

  it("writes grids and reconstruct.json for tiles of the run's dataset", () => {
    const out = join(tmp, "out");
    manualSeed(0);
    const s = reconstructRun({ ...base, out, count: 5 });
    assert.deepEqual(s.grids, ["reconstruct-01.png", "reconstruct-02.png", "reconstruct-03.png"]);
    const json = JSON.parse(readFileSync(join(out, "reconstruct.json"), "utf8"));
    assert.equal(json.tiles.length, 5);
    assert.equal(json.maskRatio, 0.5);
    assert.equal(json.input, data);
    assert.ok(json.tiles.every((t: { loss: number }) => t.loss > 0));
    assert.deepEqual(json.channels.length, 3);
    const last = readPng(join(out, "reconstruct-03.png"));
    assert.equal(
      last.height,
      GRID_GAP + LINE_HEIGHT + (16 * 8 + GRID_GAP),
      "one row in the last grid (scale 8)",
    );
    // The same seed masks the same patches: the same losses.
    manualSeed(0);
    assert.deepEqual(reconstructRun({ ...base, out: join(tmp, "again"), count: 5 }).tiles, s.tiles);
    // A shorter run into the same folder leaves no stale grids behind.
    reconstructRun({ ...base, out, count: 1 });
    assert.deepEqual(readdirSync(out).sort(), ["reconstruct-01.png", "reconstruct.json"]);
  });

  it("cuts an image file into tiles, normalised with the run's dataset statistics; rejects a wrong channel count", () => {
    const file = join(tmp, "stack.npy");
    const t = scope(() => randn([C, 40, 35]).mul(3).add(10));
    writeNpy(file, t);
    t.dispose();
    const s = reconstructRun({ ...base, input: file, out: join(tmp, "file"), count: 8 });
    assert.deepEqual(
      s.tiles.map((x) => x.source),
      ["(0, 0)", "(0, 16)", "(16, 0)", "(16, 16)"],
      "the whole tiles of a 40 x 35 image",
    );
    const bad = join(tmp, "two.npy");
    const b: Tensor = randn([2, 32, 32]);
    writeNpy(bad, b);
    b.dispose();
    assert.throws(
      () => reconstructRun({ ...base, input: bad, out: join(tmp, "bad"), count: 2 }),
      (e: Error) => e.message.startsWith(`${bad}: has 2 channels`),
    );
    assert.throws(
      () => reconstructRun({ ...base, input: file, out: join(tmp, "bad"), count: 2, maskRatio: 1 }),
      /\[0, 1\)/,
    );
  });
});
