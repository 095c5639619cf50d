import assert from "node:assert/strict";
import { test } from "node:test";
import { F, nn, noGrad, ones, randn, scope, type Tensor, zeros } from "../../src/torch/index.js";

class Block extends nn.Module {
  proj = this.module("proj", new nn.Linear(4, 6));
  norm = this.module("norm", new nn.LayerNorm(6, 1e-6));
  layers = this.module("layers", new nn.ModuleList([new nn.Linear(6, 6, false), new nn.Linear(6, 2)]));
  bn = this.module("bn", new nn.BatchNorm2d(2));
  drop = this.module("drop", new nn.Dropout(0.5));
  forward(x: Tensor): Tensor {
    return scope(() => {
      let h = this.drop.forward(this.norm.forward(this.proj.forward(x)));
      for (const l of this.layers) h = l.forward(h);
      return h;
    });
  }
}

test("Module: dotted names, counts, state dict round trip", () => {
  const m = new Block();
  assert.deepEqual(Object.keys(m.stateDict()), [
    "proj.weight",
    "proj.bias",
    "norm.weight",
    "norm.bias",
    "layers.0.weight",
    "layers.1.weight",
    "layers.1.bias",
    "bn.weight",
    "bn.bias",
    "bn.running_mean",
    "bn.running_var",
    "bn.num_batches_tracked",
  ]);
  assert.equal(m.numParameters(), 4 * 6 + 6 + 6 + 6 + 36 + 12 + 2 + 2 + 2);
  const m2 = new Block();
  const res = m2.loadStateDict(m.stateDict());
  assert.deepEqual(res, { missing: [], unexpected: [], mismatched: [] });
  scope(() => {
    const x = randn([3, 4]);
    m.eval();
    m2.eval();
    assert.deepEqual(m.forward(x).toArray(), m2.forward(x).toArray());
  });
  m.dispose();
  m2.dispose();
});

test("loadStateDict names missing, unexpected and shape-mismatched keys", () => {
  const m = new Block();
  scope(() => {
    const sd = { ...m.stateDict() };
    delete sd["norm.bias"];
    sd["extra.weight"] = zeros([1]);
    sd["proj.weight"] = zeros([5, 4]);
    assert.throws(
      () => m.loadStateDict(sd),
      (e: Error) =>
        /missing: norm\.bias/.test(e.message) &&
        /unexpected: extra\.weight/.test(e.message) &&
        /shape mismatch: proj\.weight: expected \[6,4\], got \[5,4\]/.test(e.message),
    );
    const res = m.loadStateDict(sd, { strict: false });
    assert.deepEqual(res.missing, ["norm.bias"]);
    assert.deepEqual(res.unexpected, ["extra.weight"]);
    assert.equal(res.mismatched[0].key, "proj.weight");
  });
  m.dispose();
});

test("train/eval switch dropout and batch norm; to() keeps identities", () => {
  const m = new Block();
  scope(() => {
    const x = ones([2, 4]);
    m.train();
    assert.ok(m.drop.training);
    m.eval();
    assert.equal(m.drop.training, false);
    assert.deepEqual(m.forward(x).toArray(), m.forward(x).toArray(), "eval is deterministic");
    const w = m.proj.weight;
    m.to("float64");
    assert.equal(w.dtype, "float64");
    assert.equal(m.bn.numBatchesTracked.dtype, "int64", "integer buffers keep their dtype");
    m.to("float32");
    const bn = new nn.BatchNorm2d(2);
    bn.forward(randn([4, 2, 3, 3]).add(5));
    assert.equal(bn.numBatchesTracked.item(), 1);
    assert.ok(bn.runningMean.mean().item() > 0.4, "running stats updated in training");
    bn.dispose();
  });
  m.dispose();
});

test("initialisers follow torch.nn.init", () => {
  scope(() => {
    const w = zeros([300, 200]);
    nn.init.xavierUniform_(w);
    const a = Math.sqrt(6 / 500);
    assert.ok(w.amax().item() <= a && w.amin().item() >= -a && w.amax().item() > 0.95 * a);
    nn.init.truncNormal_(w, 0, 0.02, -0.04, 0.04);
    assert.ok(Math.abs(w.std().item() - 0.02 * 0.8796) < 1e-3, "std of N(0, .02) truncated at 2 sigma");
    assert.ok(w.abs().amax().item() <= 0.04);
    nn.init.kaimingNormal_(w, { nonlinearity: "relu" });
    assert.ok(Math.abs(w.std().item() - Math.sqrt(2 / 200)) < 2e-3);
    const conv = new nn.Conv2d(3, 8, 3, { padding: 1 });
    assert.deepEqual(conv.forward(ones([1, 3, 5, 5])).shape, [1, 8, 5, 5]);
    assert.ok(conv.weight.abs().amax().item() <= 1 / Math.sqrt(27));
    const ct = new nn.ConvTranspose2d(8, 4, 2, { stride: 2, bias: false });
    assert.deepEqual(ct.forward(ones([1, 8, 5, 5])).shape, [1, 4, 10, 10]);
    const inorm = new nn.InstanceNorm2d(4);
    assert.equal(inorm.numParameters(), 0);
    for (const m of [conv, ct]) m.dispose();
  });
});

test("autograd: grads accumulate, noGrad blocks them, zero/none grads", () => {
  scope(() => {
    const x = ones([3]).requiresGrad_();
    x.mul(2).sum().backward();
    x.mul(3).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [5, 5, 5]);
    const y = noGrad(() => x.mul(2));
    assert.equal(y.requiresGrad, false);
    x.grad = null;
    assert.equal(x.grad, null);
    const z = x.mul(x).sum();
    z.backward(ones([]), true);
    z.backward();
    assert.deepEqual(x.grad!.toArray(), [4, 4, 4], "retain_graph allows a second backward");
    assert.equal(x.detach().requiresGrad, false);
    const lin = new nn.Linear(2, 1);
    F.linear(ones([1, 2]), lin.weight, lin.bias)
      .sum()
      .backward();
    assert.ok(lin.weight.grad);
    lin.dispose();
  });
});
