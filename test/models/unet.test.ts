import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BasicUNet, DEFAULT_UNET_FEATURES } from "../../src/models/unet.js";
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
import { assertClose } from "../helpers.js";

const small = [8, 8, 16, 16, 32, 8];

describe("BasicUNet (MONAI 2-D)", () => {
  it("has MONAI's key names and parameter shapes", () => {
    const net = new BasicUNet({ inChannels: 16, outChannels: 11, features: DEFAULT_UNET_FEATURES });
    const sd = net.stateDict();
    const shapes: Record<string, number[]> = {
      "conv_0.conv_0.conv.weight": [32, 16, 3, 3],
      "conv_0.conv_0.conv.bias": [32],
      "conv_0.conv_0.adn.N.weight": [32],
      "conv_0.conv_0.adn.N.bias": [32],
      "conv_0.conv_1.conv.weight": [32, 32, 3, 3],
      "down_1.convs.conv_0.conv.weight": [32, 32, 3, 3],
      "down_4.convs.conv_1.adn.N.bias": [256],
      "upcat_4.upsample.deconv.weight": [256, 128, 2, 2],
      "upcat_4.upsample.deconv.bias": [128],
      "upcat_4.convs.conv_0.conv.weight": [128, 256, 3, 3],
      // upcat_1 keeps all 32 channels when upsampling (halves=False), then cats 32 skip channels.
      "upcat_1.upsample.deconv.weight": [32, 32, 2, 2],
      "upcat_1.convs.conv_0.conv.weight": [32, 64, 3, 3],
      "final_conv.weight": [11, 32, 1, 1],
      "final_conv.bias": [11],
    };
    for (const [k, s] of Object.entries(shapes)) assert.deepEqual(sd[k]?.shape, s, k);
    // 5 TwoConv levels + 4 UpCats, each conv with weight, bias, norm weight, norm bias; deconvs; final conv.
    assert.equal(Object.keys(sd).length, 9 * 2 * 4 + 4 * 2 + 2);
    assert.equal(net.numParameters(), 1_983_083);
    net.dispose();
  });

  it("maps (B, C, H, W) to logits (B, classes, H, W), odd sizes included, with gradients everywhere", () => {
    manualSeed(1);
    const net = new BasicUNet({ inChannels: 3, outChannels: 4, features: small });
    for (const [h, w] of [
      [32, 32],
      [36, 20],
      [33, 31],
    ]) {
      const y = scope(() => net.forward(randn([2, 3, h, w])));
      assert.deepEqual(y.shape, [2, 4, h, w]);
      y.dispose();
    }
    scope(() => {
      net
        .forward(randn([2, 3, 32, 32]))
        .square()
        .mean()
        .backward();
      for (const [k, p] of net.namedParameters()) {
        const g = p.grad;
        assert.ok(g && g.abs().sum().item() > 0, `${k} got no gradient`);
      }
    });
    assert.throws(() => net.forward(randn([1, 5, 32, 32])), /not \(B, 3, H, W\)/);
    assert.throws(
      () => new BasicUNet({ inChannels: 3, outChannels: 2, features: [8, 8] }),
      /six positive integers/,
    );
    net.dispose();
  });

  it("overfits a tiny labelled batch with ignored pixels, with a flat live-tensor count", () => {
    manualSeed(7);
    const net = new BasicUNet({ inChannels: 3, outChannels: 3, features: small });
    const opt = new optim.Adam(net.parameters(), { lr: 1e-2 });
    const x = randn([1, 3, 32, 32]);
    // Classes from a fixed rule of the input, a quarter of the pixels unlabelled (255).
    const y = scope(() => {
      const cls = x.select(1, 0).gt(0.5).long().add(x.select(1, 1).gt(0.5).long());
      return cls.maskedFill(randint(0, 4, [1, 32, 32]).eq(0), 255);
    });
    const step = () =>
      scope(() => {
        opt.zeroGrad();
        const loss = F.crossEntropy(net.forward(x), y, { ignoreIndex: 255 });
        loss.backward();
        opt.step();
        return loss.item();
      });
    const first = step();
    const live = liveTensors();
    let last = first;
    for (let i = 0; i < 40; i++) last = step();
    assert.equal(liveTensors(), live, "training steps leaked tensors");
    assert.ok(last < first * 0.1, `loss went from ${first} to only ${last}`);
    const acc = scope(() => {
      const pred = noGrad(() => net.forward(x)).argmax(1);
      const labelled = y.ne(255);
      return pred.eq(y).logicalAnd(labelled).sum().item() / labelled.sum().item();
    });
    assert.ok(acc > 0.95, `training accuracy ${acc}`);
    dispose([x, y]);
    net.dispose();
  });

  it("savePretrained / fromPretrained round-trips config and weights", () => {
    const net = new BasicUNet({ inChannels: 2, outChannels: 5, features: small });
    const dir = mkdtempSync(join(tmpdir(), "unet-"));
    try {
      net.savePretrained(dir);
      const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
      assert.deepEqual(cfg, { architecture: "basic_unet", in_channels: 2, out_channels: 5, features: small });
      const back = BasicUNet.fromPretrained(dir);
      scope(() =>
        noGrad(() => {
          const x = randn([1, 2, 16, 16]);
          assertClose(back.forward(x), net.forward(x), 0, "reloaded logits");
        }),
      );
      back.dispose();
      assert.throws(() => BasicUNet.fromPretrained(join(dir, "missing")), /missing.*config\.json: not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      net.dispose();
    }
  });
});
