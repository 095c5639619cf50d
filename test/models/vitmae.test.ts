import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadSafetensors, saveSafetensors } from "../../src/io/safetensors.js";
import { sinCosPosEmbed2d } from "../../src/models/pos-embed.js";
import { presetConfig } from "../../src/models/presets.js";
import { randomMasking, ViTMAEForPreTraining } from "../../src/models/vitmae.js";
import {
  arange,
  dispose,
  liveTensors,
  manualSeed,
  optim,
  randn,
  scope,
  type Tensor,
  tensor,
} from "../../src/torch/index.js";
import { assertClose, fixture, maxAbsDiff } from "../helpers.js";

const FIX = "vitmae-tiny-p4";
const tmp = () => mkdtempSync(join(tmpdir(), "hemoseg-vitmae-"));

/** Gradients: within 1e-4 absolute or 1e-3 relative to the reference's largest magnitude. */
function assertGradClose(got: Tensor, want: Tensor, name: string): void {
  const d = maxAbsDiff(got, want);
  const scale = Math.max(...want.toFloat32Array().map(Math.abs));
  assert.ok(
    d <= 1e-4 || d <= 1e-3 * scale,
    `${name}: max |diff| ${d.toExponential(3)} (scale ${scale.toExponential(3)})`,
  );
}

for (const attn of ["sdpa", "eager"] as const) {
  test(`${attn} attention: loss, logits, mask, ids_restore, hidden states and grads match transformers`, () => {
    const before = liveTensors();
    scope(() => {
      const model = ViTMAEForPreTraining.fromPretrained(fixture(FIX), { attnImplementation: attn });
      const io = loadSafetensors(fixture(FIX, "io.safetensors"));
      const out = model.forward({ pixelValues: io.pixel_values, noise: io.noise, outputHiddenStates: true });
      assert.deepEqual(out.loss.shape, []);
      assert.ok(
        Math.abs(out.loss.item() - io.loss.item()) <= 1e-4,
        `loss ${out.loss.item()} vs ${io.loss.item()}`,
      );
      assertClose(out.logits, io.logits, 1e-4, "logits");
      assert.deepEqual(out.mask.toArray(), io.mask.toArray(), "mask");
      assert.deepEqual(out.idsRestore.toArray(), io.ids_restore.toArray(), "ids_restore");
      const hs = out.hiddenStates!;
      assert.equal(hs.length, model.config.numHiddenLayers + 1);
      for (const [i, h] of hs.entries()) assertClose(h, io[`hidden_states.${i}`], 1e-4, `hidden_states.${i}`);
      out.loss.backward();
      const params = Object.fromEntries(model.namedParameters());
      const grads = Object.keys(io).filter((k) => k.startsWith("grad."));
      assert.ok(grads.length >= 5);
      for (const k of grads) assertGradClose(params[k.slice(5)].grad!, io[k], k);
      model.dispose();
    });
    assert.equal(liveTensors(), before, "every tensor freed");
  });
}

test("savePretrained reproduces the fixture's keys, shapes, values and config; fromPretrained reads it back", () => {
  const dir = tmp();
  try {
    scope(() => {
      const model = ViTMAEForPreTraining.fromPretrained(fixture(FIX));
      model.savePretrained(dir);
      const want = loadSafetensors(fixture(FIX, "model.safetensors"));
      const got = loadSafetensors(join(dir, "model.safetensors"));
      assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
      for (const k of Object.keys(want)) {
        assert.equal(got[k].dtype, "float32", k);
        assert.equal(maxAbsDiff(got[k], want[k]), 0, k);
      }
      const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
      const ref = JSON.parse(readFileSync(fixture(FIX, "config.json"), "utf8"));
      for (const k of Object.keys(ref).filter((k) => k !== "transformers_version"))
        assert.deepEqual(cfg[k], ref[k], k);
      const again = ViTMAEForPreTraining.fromPretrained(dir);
      for (const [k, t] of Object.entries(again.stateDict())) assert.equal(maxAbsDiff(t, want[k]), 0, k);
      model.dispose();
      again.dispose();
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Copies the fixture to a temporary directory with its weights transformed. */
function withCheckpoint(
  edit: (sd: Record<string, Tensor>) => Record<string, Tensor>,
  fn: (dir: string) => void,
): void {
  const dir = tmp();
  try {
    scope(() => {
      const sd = loadSafetensors(fixture(FIX, "model.safetensors"));
      saveSafetensors(join(dir, "model.safetensors"), edit(sd), { format: "pt" });
      writeFileSync(join(dir, "config.json"), readFileSync(fixture(FIX, "config.json")));
    });
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("transformers 5.x decoder names (decoder.decoder_encoder.layer.N) load as decoder_layers.N", () => {
  const renamed = (sd: Record<string, Tensor>) =>
    Object.fromEntries(
      Object.entries(sd).map(([k, t]) => [
        k.replace(/^decoder\.decoder_layers\./, "decoder.decoder_encoder.layer."),
        t,
      ]),
    );
  withCheckpoint(renamed, (dir) =>
    scope(() => {
      const model = ViTMAEForPreTraining.fromPretrained(dir);
      const want = loadSafetensors(fixture(FIX, "model.safetensors"));
      const w = "decoder.decoder_layers.1.output.dense.weight";
      assert.equal(maxAbsDiff(model.stateDict()[w], want[w]), 0);
      model.dispose();
    }),
  );
});

test("a tampered checkpoint fails with a message naming the file and the key", () => {
  const missing = "decoder.decoder_layers.0.intermediate.dense.bias";
  withCheckpoint(
    (sd) => Object.fromEntries(Object.entries(sd).filter(([k]) => k !== missing)),
    (dir) =>
      assert.throws(
        () => ViTMAEForPreTraining.fromPretrained(dir),
        (e: Error) =>
          e.message.includes(`missing: ${missing}`) && e.message.includes(join(dir, "model.safetensors")),
      ),
  );
  const bad = "vit.encoder.layer.2.attention.attention.key.weight";
  withCheckpoint(
    (sd) => ({ ...sd, [bad]: sd[bad].slice(0, 0, 20) }),
    (dir) =>
      assert.throws(
        () => ViTMAEForPreTraining.fromPretrained(dir),
        (e: Error) => e.message.includes(`shape mismatch: ${bad}: expected [32,32], got [20,32]`),
      ),
  );
  withCheckpoint(
    (sd) => ({ ...sd, "vit.pooler.dense.weight": sd["vit.layernorm.weight"] }),
    (dir) =>
      assert.throws(() => ViTMAEForPreTraining.fromPretrained(dir), /unexpected: vit\.pooler\.dense\.weight/),
  );
});

test("mask ratio 0 keeps every patch in its own order (feature extraction)", () => {
  scope(() => {
    const model = ViTMAEForPreTraining.fromPretrained(fixture(FIX));
    const io = loadSafetensors(fixture(FIX, "io.safetensors"));
    const out = model.forward({
      pixelValues: io.pixel_values,
      noise: io.noise,
      maskRatio: 0,
      outputHiddenStates: true,
    });
    const l = model.numPatches;
    assert.deepEqual(out.idsRestore.toArray(), [...arange(l).toArray(), ...arange(l).toArray()]);
    assert.equal(out.mask.sum().item(), 0);
    assert.deepEqual(out.hiddenStates![0].shape, [2, 1 + l, 32]);
    // token 1 + n is patch n: the embeddings are the conv output plus the position row, unshuffled
    const emb = model.vit.embeddings;
    const expected = emb.patchEmbeddings.forward(io.pixel_values).add(emb.positionEmbeddings.slice(1, 1));
    assertClose(out.hiddenStates![0].slice(1, 1), expected, 1e-6, "unshuffled embeddings");
    assert.ok(Number.isNaN(out.loss.item()), "no removed patch: the loss is undefined, as in HF");
    model.dispose();
  });
});

test("random masking keeps the trunc(L*(1-r)) lowest-noise patches and restores the order", () => {
  scope(() => {
    const seq = arange(2 * 10 * 3, undefined, 1, { dtype: "float32" }).reshape(2, 10, 3);
    const noise = tensor(
      [0.5, 0.1, 0.9, 0.3, 0.7, 0.2, 0.8, 0.0, 0.6, 0.4, ...Array.from({ length: 10 }, (_, i) => i / 10)],
      [2, 10],
    );
    const { kept, mask, idsRestore } = randomMasking(seq, 0.75, noise); // trunc(10 * 0.25) = 2
    assert.deepEqual(kept.shape, [2, 2, 3]);
    assert.deepEqual(kept.select(0, 0).select(1, 0).toArray(), [21, 3]); // patches 7 then 1 in sample 0
    assert.deepEqual(kept.select(0, 1).select(1, 0).toArray(), [30, 33]); // patches 0, 1 in sample 1
    assert.deepEqual(mask.toArray(), [1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
    assert.deepEqual(idsRestore.select(0, 0).toArray(), [5, 1, 9, 3, 7, 2, 8, 0, 6, 4]);
  });
});

test("patchify lays patches out (B, h*w, p*p*C) as HF does, and unpatchify inverts it", () => {
  scope(() => {
    const cfg = presetConfig("model2", { imageSize: 8, patchSize: 4, numChannels: 3 });
    const model = new ViTMAEForPreTraining(cfg);
    const x = randn([2, 3, 8, 8]);
    const p = model.patchify(x);
    assert.deepEqual(p.shape, [2, 4, 48]);
    // pixel (b, c, i*p + a, j*p + q) -> patch i*g + j, element (a*p + q)*C + c
    const [b, c, i, a, j, q] = [1, 2, 1, 3, 0, 2];
    const px = x
      .select(0, b)
      .select(0, c)
      .select(0, i * 4 + a)
      .select(0, j * 4 + q)
      .item();
    assert.equal(
      p
        .select(0, b)
        .select(0, i * 2 + j)
        .select(0, (a * 4 + q) * 3 + c)
        .item(),
      px,
    );
    assert.equal(maxAbsDiff(model.unpatchify(p), x), 0);
    model.dispose();
  });
});

test("initialisation follows MAE: fixed sin-cos, xavier conv and Linear, normal(0.02) tokens; HF normal by option", () => {
  scope(() => {
    manualSeed(0);
    const cfg = presetConfig("model1", { imageSize: 32, patchSize: 4 });
    const model = new ViTMAEForPreTraining(cfg);
    const g = 8;
    assert.equal(maxAbsDiff(model.vit.embeddings.positionEmbeddings, sinCosPosEmbed2d(g, 192)), 0);
    assert.equal(maxAbsDiff(model.decoder.decoderPosEmbed, sinCosPosEmbed2d(g, 192)), 0);
    const names = model.namedParameters().map(([n]) => n);
    assert.ok(!names.includes("vit.embeddings.position_embeddings"), "position embeddings are not trained");
    assert.ok(!names.includes("decoder.decoder_pos_embed"));
    const std = (t: Tensor) => t.std().item();
    const absMax = (t: Tensor) => t.abs().max().item();
    assert.ok(Math.abs(std(model.vit.embeddings.clsToken) - 0.02) < 0.006);
    assert.ok(Math.abs(std(model.decoder.maskToken) - 0.02) < 0.006);
    const conv = model.vit.embeddings.patchEmbeddings.projection.weight; // (192, 16, 4, 4) viewed as (192, 256)
    const convBound = Math.sqrt(6 / (256 + 192));
    assert.ok(absMax(conv) <= convBound && absMax(conv) > 0.95 * convBound, "xavier bound of the 2-D view");
    const q = model.vit.encoder.layer.at(0).attention.attention.query;
    const qBound = Math.sqrt(6 / (192 + 192));
    assert.ok(absMax(q.weight) <= qBound && absMax(q.weight) > 0.95 * qBound);
    assert.equal(absMax(q.bias!), 0);
    assert.equal(model.decoder.decoderNorm.weight!.min().item(), 1);
    model.dispose();
    const hf = new ViTMAEForPreTraining(cfg, { init: "normal" });
    assert.ok(Math.abs(std(hf.decoder.decoderPred.weight) - 0.02) < 0.002);
    hf.dispose();
  });
});

test("training steps leave the live-tensor count flat", () => {
  scope(() => {
    manualSeed(1);
    const model = new ViTMAEForPreTraining(
      presetConfig("model2", { imageSize: 16, patchSize: 4, numChannels: 4 }),
    );
    const opt = new optim.Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.95] });
    const x = randn([2, 4, 16, 16]);
    const step = () =>
      scope(() => {
        opt.zeroGrad();
        const out = model.forward({ pixelValues: x, outputHiddenStates: true });
        out.loss.backward();
        opt.step();
        return out.loss.item();
      });
    const first = step();
    const count = liveTensors();
    const losses = [step(), step(), step()];
    assert.equal(liveTensors(), count);
    assert.ok(losses.every(Number.isFinite) && losses[2] < first, `loss falls: ${first} -> ${losses}`);
    opt.dispose();
    model.dispose();
    dispose(x);
  });
});

test("model presets carry the paper's Tables 2-3 and reject a patch that does not divide the tile", () => {
  const m1 = presetConfig("model1");
  assert.deepEqual(
    [m1.hiddenSize, m1.intermediateSize, m1.numHiddenLayers, m1.numAttentionHeads],
    [192, 768, 6, 6],
  );
  assert.deepEqual(
    [
      m1.decoderHiddenSize,
      m1.decoderIntermediateSize,
      m1.decoderNumHiddenLayers,
      m1.decoderNumAttentionHeads,
    ],
    [192, 768, 6, 6],
  );
  const m2 = presetConfig("model2", { patchSize: 8 });
  assert.deepEqual(
    [m2.hiddenSize, m2.intermediateSize, m2.numHiddenLayers, m2.numAttentionHeads, m2.decoderHiddenSize],
    [192, 512, 4, 4, 128],
  );
  assert.deepEqual(
    [m2.imageSize, m2.patchSize, m2.numChannels, m2.maskRatio, m2.normPixLoss, m2.layerNormEps],
    [64, 8, 16, 0.5, true, 1e-6],
  );
  assert.throws(() => presetConfig("model2", { patchSize: 6 }), /patch size 6 .* tile size 64/);
  assert.throws(() => presetConfig("model3"), /unknown model preset 'model3'/);
});
