import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadSafetensors } from "../../src/io/safetensors.js";
import { defaultSkipLayers, UNETR } from "../../src/models/unetr.js";
import { UnetResBlock, UnetrPrUpBlock, UnetrUpBlock } from "../../src/models/unetr-blocks.js";
import {
  dispose,
  F,
  liveTensors,
  manualSeed,
  noGrad,
  optim,
  randint,
  randn,
  scope,
} from "../../src/torch/index.js";
import { assertClose, fixture, tinyViT } from "../helpers.js";

describe("MONAI UNETR blocks", () => {
  it("UnetResBlock has conv3/norm3 only when the channel count or stride changes", () => {
    const same = new UnetResBlock(8, 8);
    assert.deepEqual(Object.keys(same.stateDict()).sort(), ["conv1.conv.weight", "conv2.conv.weight"]);
    const wider = new UnetResBlock(8, 16);
    assert.deepEqual(Object.keys(wider.stateDict()).sort(), [
      "conv1.conv.weight",
      "conv2.conv.weight",
      "conv3.conv.weight",
    ]);
    assert.deepEqual(wider.conv3?.conv.weight.shape, [16, 8, 1, 1]);
    const strided = new UnetResBlock(8, 8, 3, 2);
    const y = scope(() => strided.forward(randn([2, 8, 8, 8])));
    assert.deepEqual(y.shape, [2, 8, 4, 4]);
    assert.ok(strided.conv3, "stride 2 needs the 1x1 residual conv");
    y.dispose();
    for (const m of [same, wider, strided]) m.dispose();
  });

  it("UnetResBlock adds the input (or its 1x1 projection) before LeakyReLU(0.01)", () => {
    // With conv2 zeroed the main path is norm2(0) = 0, leaving lrelu(residual).
    const same = new UnetResBlock(4, 4);
    const wider = new UnetResBlock(4, 6);
    noGrad(() => {
      same.conv2.conv.weight.zero_();
      wider.conv2.conv.weight.zero_();
    });
    scope(() =>
      noGrad(() => {
        const x = randn([2, 4, 6, 6]);
        assertClose(same.forward(x), F.leakyRelu(x, 0.01), 1e-6, "identity residual");
        const proj = F.instanceNorm(F.conv2d(x, wider.conv3!.conv.weight), { eps: 1e-5 });
        assertClose(wider.forward(x), F.leakyRelu(proj, 0.01), 1e-5, "projected residual");
      }),
    );
    same.dispose();
    wider.dispose();
  });

  it("UnetrPrUpBlock upsamples by 2^(numLayer+1) with MONAI's blocks.i.{0,1} names", () => {
    const b = new UnetrPrUpBlock(24, 8, 2);
    const keys = Object.keys(b.stateDict()).sort();
    assert.deepEqual(keys, [
      "blocks.0.0.conv.weight",
      "blocks.0.1.conv1.conv.weight",
      "blocks.0.1.conv2.conv.weight",
      "blocks.1.0.conv.weight",
      "blocks.1.1.conv1.conv.weight",
      "blocks.1.1.conv2.conv.weight",
      "transp_conv_init.conv.weight",
    ]);
    assert.deepEqual(b.transpConvInit.conv.weight.shape, [24, 8, 2, 2]);
    const y = scope(() => b.forward(randn([2, 24, 2, 2])));
    assert.deepEqual(y.shape, [2, 8, 16, 16]);
    y.dispose();
    b.dispose();
  });

  it("UnetrUpBlock doubles the resolution and concatenates the skip", () => {
    const b = new UnetrUpBlock(24, 8);
    assert.deepEqual(b.convBlock.conv1.conv.weight.shape, [8, 16, 3, 3]);
    const y = scope(() => b.forward(randn([2, 24, 4, 4]), randn([2, 8, 8, 8])));
    assert.deepEqual(y.shape, [2, 8, 8, 8]);
    y.dispose();
    b.dispose();
  });
});

describe("UNETR layout", () => {
  it("skip layers follow floor(L·j/n_up)+1 (the paper's table for L = 6)", () => {
    assert.deepEqual(defaultSkipLayers(6, 8), [3, 5]);
    assert.deepEqual(defaultSkipLayers(6, 4), [4]);
    assert.deepEqual(defaultSkipLayers(6, 2), []);
    assert.deepEqual(defaultSkipLayers(4, 4), [3]);
    assert.deepEqual(defaultSkipLayers(6, 16), [2, 4, 5]);
    assert.throws(() => defaultSkipLayers(6, 32), /patch size 32 is not supported/);
  });

  for (const [patch, fs] of [
    [2, 16],
    [8, 16],
    [8, 32],
    [16, 16],
    [16, 24],
  ] as const) {
    it(`patch ${patch}, feature size ${fs}: logits (B, classes, H, W) and a gradient for every parameter`, () => {
      manualSeed(patch * 100 + fs);
      const model = UNETR.create(tinyViT(patch), { outChannels: 5, featureSize: fs });
      const nUp = Math.log2(patch);
      const keys = Object.keys(model.stateDict());
      for (let j = 1; j < nUp; j++) {
        assert.ok(keys.includes(`encoder${j + 1}.transp_conv_init.conv.weight`), `encoder${j + 1} missing`);
        if (nUp - j - 1 > 0)
          assert.ok(keys.includes(`encoder${j + 1}.blocks.${nUp - j - 2}.1.conv1.conv.weight`));
      }
      assert.ok(!keys.some((k) => k.startsWith(`encoder${nUp + 1}.`)), "one encoder too many");
      assert.ok(keys.includes(`decoder${nUp + 1}.transp_conv.conv.weight`));
      assert.deepEqual(model.stateDict()[`decoder${nUp + 1}.transp_conv.conv.weight`].shape, [
        24,
        fs * 2 ** (nUp - 1),
        2,
        2,
      ]);
      assert.deepEqual(model.stateDict()["out.conv.conv.weight"].shape, [5, fs, 1, 1]);

      const x = randn([2, 3, 32, 32]);
      const logits = model.forward(x);
      assert.deepEqual(logits.shape, [2, 5, 32, 32]);
      scope(() => logits.square().mean().backward());
      scope(() => {
        for (const [name, p] of model.namedParameters()) {
          const g = p.grad;
          assert.ok(g, `${name} got no gradient`);
          assert.ok(g.abs().sum().item() > 0, `${name} has an all-zero gradient`);
        }
      });
      dispose([x, logits]);
      model.dispose();
    });
  }

  it("refuses an inconsistent configuration with a clear message", () => {
    assert.throws(
      () => UNETR.create(tinyViT(4), { outChannels: 3, skipLayers: [1, 2] }),
      /needs 1 skip layer/,
    );
    assert.throws(() => UNETR.create(tinyViT(4), { outChannels: 3, skipLayers: [9] }), /needs 1 skip layer/);
    assert.throws(() => UNETR.create(tinyViT(32, { imageSize: 64 }), { outChannels: 3 }), /patch size 32/);
    assert.throws(() => UNETR.create(tinyViT(4), { outChannels: 0 }), /class count/);
  });

  it("keeps the live-tensor count flat over training steps", () => {
    manualSeed(3);
    const model = UNETR.create(tinyViT(8), { outChannels: 4, featureSize: 16 });
    const opt = new optim.Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.95] });
    const x = randn([2, 3, 32, 32]);
    const y = randint(0, 4, [2, 32, 32], { dtype: "int64" });
    const step = () =>
      scope(() => {
        opt.zeroGrad();
        const loss = F.crossEntropy(model.forward(x), y, { ignoreIndex: 255 });
        loss.backward();
        opt.step();
        return loss.item();
      });
    step();
    const before = liveTensors();
    for (let i = 0; i < 4; i++) step();
    assert.equal(liveTensors(), before);
    dispose([x, y]);
    model.dispose();
  });
});

// The tiny fixtures: the same HF ViT encoder (3 channels, 16 x 16) under patch 4 (skip from layer 3)
// and patch 2 (no skips, as the paper says), 4 classes, feature size 16.
for (const [FIXTURE, skips] of [
  ["unetr-tiny-p4-fs16", [3]],
  ["unetr-tiny-p2-fs16", []],
] as const)
  describe(`UNETR parity with ${FIXTURE}`, () => {
    const dir = fixture(FIXTURE);

    it("state-dict keys are exactly the fixture's", () => {
      const model = UNETR.fromPretrained(dir);
      const want = loadSafetensors(join(dir, "model.safetensors"));
      assert.deepEqual(Object.keys(model.stateDict()).sort(), Object.keys(want).sort());
      assert.deepEqual(model.config.skipLayers, skips);
      dispose(want);
      model.dispose();
    });

    it("logits, cross-entropy loss and every listed gradient match within 1e-4", () => {
      const model = UNETR.fromPretrained(dir);
      const io = loadSafetensors(join(dir, "io.safetensors"));
      const target = io.target.long();
      const logits = model.forward(io.pixel_values);
      assertClose(logits, io.logits, 1e-4, "logits");
      const loss = F.crossEntropy(logits, target, { ignoreIndex: 255 });
      assertClose(loss.reshape(1), io.loss, 1e-4, "loss");
      loss.backward();
      const params = model.stateDict();
      const gradNames = Object.keys(io).filter((k) => k.startsWith("grad."));
      assert.ok(gradNames.length >= 5, "the fixture lists gradients");
      scope(() => {
        for (const g of gradNames) {
          const grad = params[g.slice(5)]?.grad;
          assert.ok(grad, `${g.slice(5)} has no gradient`);
          assertClose(grad, io[g], 1e-4, g);
        }
      });
      dispose([io, target, logits, loss]);
      model.dispose();
    });

    it("savePretrained writes the same layout, and it loads back to the same outputs", () => {
      const model = UNETR.fromPretrained(dir);
      const out = mkdtempSync(join(tmpdir(), "unetr-"));
      try {
        model.savePretrained(out);
        const written = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
        const orig = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
        for (const k of [
          "architecture",
          "patch_size",
          "image_size",
          "in_channels",
          "out_channels",
          "feature_size",
          "skip_layers",
        ]) {
          assert.deepEqual(written[k], orig[k], k);
        }
        for (const k of [
          "hidden_size",
          "num_hidden_layers",
          "num_attention_heads",
          "intermediate_size",
          "patch_size",
          "num_channels",
        ]) {
          assert.equal(written.vit[k], orig.vit[k], `vit.${k}`);
        }
        const again = UNETR.fromPretrained(out);
        const x = noGrad(() => randn([1, 3, 16, 16]));
        scope(() => noGrad(() => assertClose(again.forward(x), model.forward(x), 0, "reloaded logits")));
        again.dispose();
        x.dispose();
      } finally {
        rmSync(out, { recursive: true, force: true });
        model.dispose();
      }
    });

    it("names the file when the checkpoint does not fit", () => {
      assert.throws(() => UNETR.fromPretrained(join(dir, "nowhere")), /nowhere.*config\.json: not found/);
    });
  });
