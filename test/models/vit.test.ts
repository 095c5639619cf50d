import assert from "node:assert/strict";
import { test } from "node:test";
import { loadSafetensors } from "../../src/io/safetensors.js";
import { loadViTMAEConfig } from "../../src/models/hf-config.js";
import { setAttnImplementation, type ViTConfig, ViTModel } from "../../src/models/vit.js";
import { ViTMAEModel } from "../../src/models/vitmae.js";
import { dispose, liveTensors, manualSeed, randn, scope, type Tensor } from "../../src/torch/index.js";
import { assertClose, fixture, maxAbsDiff } from "../helpers.js";

const MAE = "vitmae-tiny-p4";
const small: ViTConfig = {
  hiddenSize: 32,
  numHiddenLayers: 2,
  numAttentionHeads: 4,
  intermediateSize: 64,
  hiddenAct: "gelu",
  layerNormEps: 1e-6,
  imageSize: 16,
  patchSize: 4,
  numChannels: 3,
  qkvBias: true,
  initializerRange: 0.02,
  hiddenDropoutProb: 0,
  attentionProbsDropoutProb: 0,
};

/** The fixture's encoder weights (vit.* without the prefix) and its config read as a ViT config. */
function maeEncoder(): { model: ViTModel; sd: Record<string, Tensor> } {
  const model = new ViTModel(loadViTMAEConfig(fixture(MAE, "config.json")));
  const all = loadSafetensors(fixture(MAE, "model.safetensors"));
  const sd = Object.fromEntries(
    Object.entries(all)
      .filter(([k]) => k.startsWith("vit."))
      .map(([k, t]) => [k.slice(4), t]),
  );
  model.loadStateDict(sd);
  return { model, sd };
}

test("ViTModel's state-dict keys and shapes are HF ViTModel's (as in the UNETR fixture's vit.*)", () => {
  scope(() => {
    const sd = loadSafetensors(fixture("unetr-tiny-p4-fs16", "model.safetensors"));
    const want = Object.fromEntries(
      Object.entries(sd)
        .filter(([k]) => k.startsWith("vit."))
        .map(([k, t]) => [k.slice(4), t.shape]),
    );
    const model = new ViTModel(loadViTMAEConfig(fixture(MAE, "config.json")));
    const got = Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.shape]));
    assert.deepEqual(got, want);
    assert.ok(
      model.namedParameters().some(([k]) => k === "embeddings.position_embeddings"),
      "learned positions",
    );
    model.dispose();
  });
});

test("ViT layers reproduce transformers' encoder hidden states 1..L from hidden state 0", () => {
  scope(() => {
    const io = loadSafetensors(fixture(MAE, "io.safetensors"));
    for (const attn of ["sdpa", "eager"] as const) {
      const { model } = maeEncoder();
      setAttnImplementation(model, attn);
      const out = model.encoder.forward(io["hidden_states.0"], true);
      const hs = out.hiddenStates!;
      assert.equal(hs.length, 5);
      assert.equal(hs[0], io["hidden_states.0"], "entry 0 is the encoder's input");
      for (let i = 1; i < hs.length; i++)
        assertClose(hs[i], io[`hidden_states.${i}`], 1e-4, `${attn} hidden_states.${i}`);
      assert.equal(out.lastHiddenState, hs[4]);
      model.dispose();
    }
  });
});

test("ViTModel equals the ViTMAE encoder at mask ratio 0 with the same weights (CLS + positions, final layernorm)", () => {
  scope(() => {
    const { model, sd } = maeEncoder();
    const mae = new ViTMAEModel(loadViTMAEConfig(fixture(MAE, "config.json")));
    mae.loadStateDict(sd);
    const x = loadSafetensors(fixture(MAE, "io.safetensors")).pixel_values;
    const a = model.forward(x, { outputHiddenStates: true });
    const b = mae.forward(x, { maskRatio: 0, outputHiddenStates: true });
    assert.deepEqual(a.lastHiddenState.shape, [2, 17, 32]);
    assertClose(a.lastHiddenState, b.lastHiddenState, 1e-5, "last hidden state");
    assert.equal(a.hiddenStates!.length, 5);
    for (const [i, h] of a.hiddenStates!.entries())
      assertClose(h, b.hiddenStates![i], 1e-5, `hidden state ${i}`);
    // the final layernorm applies to the last layer's output only
    assertClose(model.layernorm.forward(a.hiddenStates![4]), a.lastHiddenState, 0, "layernorm(h_L)");
    model.dispose();
    mae.dispose();
  });
});

test("ViTModel: fused and explicit attention agree; bad input shapes are named", () => {
  scope(() => {
    manualSeed(3);
    const model = new ViTModel(small);
    const x = randn([2, 3, 16, 16]);
    const fused = model.forward(x).lastHiddenState;
    setAttnImplementation(model, "eager");
    const eager = model.forward(x).lastHiddenState;
    assert.ok(maxAbsDiff(fused, eager) < 1e-5);
    assert.throws(
      () => model.forward(randn([2, 4, 16, 16])),
      /\[2,4,16,16\] do not match the model's \(B, 3, 16, 16\)/,
    );
    model.dispose();
  });
});

test("ViTModel: dropout acts in training only; initialisation is HF's trunc_normal(0.02)", () => {
  scope(() => {
    manualSeed(4);
    const model = new ViTModel({ ...small, hiddenDropoutProb: 0.3, attentionProbsDropoutProb: 0.3 });
    const x = randn([1, 3, 16, 16]);
    const t1 = model.forward(x).lastHiddenState;
    const t2 = model.forward(x).lastHiddenState;
    assert.ok(maxAbsDiff(t1, t2) > 1e-3, "training mode drops out");
    model.eval();
    assert.equal(maxAbsDiff(model.forward(x).lastHiddenState, model.forward(x).lastHiddenState), 0);
    const w = model.encoder.layer.at(1).intermediate.dense.weight;
    assert.ok(Math.abs(w.std().item() - 0.02) < 0.002);
    assert.equal(model.encoder.layer.at(1).intermediate.dense.bias!.abs().max().item(), 0);
    assert.ok(Math.abs(model.embeddings.positionEmbeddings.std().item() - 0.02) < 0.004);
    model.dispose();
  });
});

test("ViTModel forward + backward leaves the live-tensor count flat", () => {
  manualSeed(5);
  const model = new ViTModel(small);
  const x = randn([2, 3, 16, 16]);
  const step = () =>
    scope(() => {
      const out = model.forward(x, { outputHiddenStates: true });
      out.lastHiddenState.square().mean().add(out.hiddenStates![1].mean()).backward();
      for (const p of model.parameters()) p.grad = null;
    });
  step();
  const count = liveTensors();
  for (let i = 0; i < 3; i++) step();
  assert.equal(liveTensors(), count);
  model.dispose();
  dispose(x);
});
