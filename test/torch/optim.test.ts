import assert from "node:assert/strict";
import { test } from "node:test";
import { loadSafetensors } from "../../src/io/safetensors.js";
import {
  dispose,
  liveTensors,
  nn,
  noGrad,
  optim,
  scope,
  type Tensor,
  tensor,
} from "../../src/torch/index.js";
import { assertClose, fixture } from "../helpers.js";

test("one Adam step matches torch.optim.Adam on the ViTMAE fixture within 1e-6", () => {
  const before = liveTensors();
  const params = loadSafetensors(fixture("vitmae-tiny-p4", "model.safetensors"));
  const io = loadSafetensors(fixture("vitmae-tiny-p4", "io.safetensors"));
  const names = Object.keys(io)
    .filter((k) => k.startsWith("after_adam."))
    .map((k) => k.slice(11));
  assert.ok(names.length >= 5, "fixture lists parameters after Adam");
  const ps: Tensor[] = [];
  for (const n of names) {
    const p = params[n].requiresGrad_(true);
    const g = io[`grad.${n}`];
    assert.ok(g, `grad.${n} in fixture`);
    p.grad = g;
    ps.push(p);
  }
  const opt = new optim.Adam(ps, { lr: 1e-3, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0 });
  opt.step();
  for (const n of names) assertClose(params[n], io[`after_adam.${n}`], 1e-6, n);
  opt.dispose();
  dispose([params, io]);
  assert.equal(liveTensors(), before);
});

test("Adam state round-trips through stateDict for resume", () => {
  scope(() => {
    const w = new nn.Linear(4, 3);
    const opt = new optim.Adam(w.parameters(), { lr: 0.1 });
    const x = tensor([1, 2, 3, 4], [1, 4]);
    const stepOnce = (o: optim.Adam) =>
      scope(() => {
        o.zeroGrad();
        w.forward(x).square().sum().backward();
        o.step();
      });
    stepOnce(opt);
    const saved = scope(() => {
      const sd = opt.stateDict();
      return {
        tensors: Object.fromEntries(Object.entries(sd.tensors).map(([k, t]) => [k, t.clone()])),
        groups: sd.groups,
      };
    });
    const wSaved = w.weight.clone();
    const bSaved = w.bias!.clone();
    stepOnce(opt);
    const expected = w.weight.clone();
    // restore and redo the second step with a fresh optimiser
    noGrad(() => {
      w.weight.copy_(wSaved);
      w.bias!.copy_(bSaved);
    });
    const opt2 = new optim.Adam(w.parameters(), { lr: 0.5 });
    opt2.loadStateDict(saved);
    assert.equal(opt2.groups[0].lr, 0.1);
    stepOnce(opt2);
    assertClose(w.weight, expected, 1e-6, "weight after resumed step");
    opt.dispose();
    opt2.dispose();
    w.dispose();
  });
});

test("clipGradNorm scales gradients to the global norm and reports the norm before", () => {
  scope(() => {
    const a = tensor([3, 0]).requiresGrad_();
    const b = tensor([0, 4]).requiresGrad_();
    a.grad = tensor([3, 0]);
    b.grad = tensor([0, 4]);
    const n = optim.clipGradNorm([a, b], 1);
    assert.ok(Math.abs(n - 5) < 1e-6);
    assert.ok(Math.abs(a.grad!.toArray()[0] - 0.6) < 1e-5);
    assert.ok(Math.abs(b.grad!.toArray()[1] - 0.8) < 1e-5);
    assert.ok(Math.abs(optim.clipGradNorm([a, b], 10) - 1) < 1e-5, "below the limit: unchanged");
    assert.ok(Math.abs(a.grad!.toArray()[0] - 0.6) < 1e-5);
  });
});

test("AdamW decays weights decoupled from the gradient", () => {
  scope(() => {
    const w = tensor([1, 1]).requiresGrad_();
    w.grad = tensor([0, 0]);
    const opt = new optim.AdamW([w], { lr: 0.1, weightDecay: 0.5 });
    opt.step();
    assert.deepEqual(
      w.toArray().map((v) => +v.toFixed(6)),
      [0.95, 0.95],
      "w * (1 - lr * wd), zero grad",
    );
    opt.dispose();
  });
});

test("warm-up + cosine schedule", () => {
  const s = optim.warmupCosine(10, 110, 0.1);
  assert.ok(Math.abs(s(0) - 0.1) < 1e-12, "first warm-up step");
  assert.equal(s(9), 1);
  assert.equal(s(10), 1);
  assert.ok(Math.abs(s(60) - (0.1 + 0.9 * 0.5)) < 1e-12, "half way down the cosine");
  assert.ok(Math.abs(s(110) - 0.1) < 1e-12, "floor at the end");
  const groups = [{ lr: 0 }, { lr: 0 }];
  optim.applySchedule(groups, [1e-3, 1e-4], s, 60);
  assert.ok(Math.abs(groups[1].lr - 0.55e-4) < 1e-12);
});

test("the fused Adam/AdamW kernel matches the single-tensor formula, fallback tensors included", () => {
  scope(() => {
    for (const decoupled of [false, true]) {
      const make = () => [
        tensor([0.5, -1, 2, 0.25, -0.75, 3], [2, 3]).requiresGrad_(true),
        tensor([1, 2, 3, 4], [2, 2]).transpose(0, 1).requiresGrad_(true), // not contiguous: single-tensor path
        tensor([0.1, -0.2], [2], "float64").requiresGrad_(true), // float64: single-tensor path
        tensor([7], [1]).requiresGrad_(true), // no gradient: untouched, step not advanced
      ];
      const grads = [
        tensor([0.3, -0.1, 0.2, 0.5, -0.4, 0.05], [2, 3]),
        tensor([-0.2, 0.1, 0.3, -0.6], [2, 2]).transpose(0, 1),
        tensor([0.01, -0.02], [2], "float64"),
      ];
      const run = (fused: boolean) => {
        const ps = make();
        const opt = decoupled
          ? new optim.AdamW(ps, { lr: 0.01, betas: [0.9, 0.95], weightDecay: 0.1 })
          : new optim.Adam(ps, { lr: 0.01, betas: [0.9, 0.95], weightDecay: 0.1 });
        opt.fused = fused;
        for (let s = 0; s < 3; s++) {
          grads.forEach((g, i) => {
            ps[i].grad = g.mul(s + 1);
          });
          opt.step();
        }
        const steps = opt.stateDict().tensors["state.0.step"].item();
        assert.equal(opt.stateDict().tensors["state.3.step"].item(), 0);
        opt.dispose();
        return { ps, steps };
      };
      const a = run(true);
      const b = run(false);
      assert.equal(a.steps, 3);
      a.ps.forEach((p, i) => {
        assertClose(p, b.ps[i], 1e-6, `${decoupled ? "AdamW" : "Adam"} param ${i}`);
      });
      assert.equal(a.ps[3].item(), 7);
      assert.ok(Math.abs(a.ps[0].sub(make()[0]).abs().sum().item()) > 1e-3, "the step moved the weights");
    }
  });
});

test("the single-tensor Adam (fused off) matches torch.optim.Adam on the ViTMAE fixture within 1e-6", () => {
  const params = loadSafetensors(fixture("vitmae-tiny-p4", "model.safetensors"));
  const io = loadSafetensors(fixture("vitmae-tiny-p4", "io.safetensors"));
  const names = Object.keys(io)
    .filter((k) => k.startsWith("after_adam."))
    .map((k) => k.slice(11));
  const ps = names.map((n) => {
    const p = params[n].requiresGrad_(true);
    p.grad = io[`grad.${n}`];
    return p;
  });
  const opt = new optim.Adam(ps, { lr: 1e-3, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0 });
  opt.fused = false;
  opt.step();
  for (const n of names) assertClose(params[n], io[`after_adam.${n}`], 1e-6, n);
  opt.dispose();
  dispose([params, io]);
});
