import assert from "node:assert/strict";
import { after, test } from "node:test";
import { autocast, F, linearBackend, manualSeed, noGrad, randn, type Tensor } from "../../src/torch/index.js";

// Float32 linear layers on CPU run on oneDNN (native/linear_onednn.cpp: its own autograd
// Function for the three GEMMs). Checked here against the float64 at::linear that eager PyTorch
// runs: the output and every gradient, for the shapes and flags the models use.
const start = linearBackend();
after(() => linearBackend(start));

/** Output and gradients of sum(linear(x, w, b)^2) (grads null where not asked for). */
function pass(x: Tensor, w: Tensor, b: Tensor | null, want: { x: boolean; w: boolean; b: boolean }) {
  const xs = x.detach().requiresGrad_(want.x);
  const ws = w.detach().requiresGrad_(want.w);
  const bs = b ? b.detach().requiresGrad_(want.b) : null;
  const y = F.linear(xs, ws, bs);
  if (want.x || want.w || want.b) y.mul(y).sum().backward();
  return [y.detach(), xs.grad, ws.grad, bs?.grad ?? null];
}

/** Largest difference relative to the reference's largest magnitude. */
function rel(a: Tensor, ref: Tensor): number {
  return a.to("float64").sub(ref).abs().max().item() / Math.max(ref.abs().max().item(), 1e-30);
}

function compare(name: string, x: Tensor, w: Tensor, b: Tensor | null, want = { x: true, w: true, b: true }) {
  linearBackend("onednn");
  const got = pass(x, w, b, want);
  const ref = pass(x.to("float64"), w.to("float64"), b?.to("float64") ?? null, want); // float64: at::linear
  const labels = ["y", "dx", "dW", "db"];
  for (let i = 0; i < 4; i++) {
    if (ref[i] === null) {
      assert.equal(got[i], null, `${name}: ${labels[i]} should not exist`);
      continue;
    }
    assert.ok(got[i], `${name}: ${labels[i]} missing`);
    const e = rel(got[i]!, ref[i]!);
    assert.ok(e < 1e-5, `${name}: ${labels[i]} off by ${e} (relative)`);
  }
}

test("oneDNN linear matches at::linear in float64: output and gradients, 2-D to 4-D inputs", () => {
  if (linearBackend() !== "onednn") return; // a libtorch without oneDNN runs at::linear only
  manualSeed(0);
  compare("2-D", randn([33, 20]), randn([7, 20]), randn([7]));
  compare("3-D (B, L, D) with the fused qkv shape", randn([4, 17, 24]), randn([72, 24]), randn([72]));
  compare("4-D", randn([2, 3, 5, 8]), randn([6, 8]), randn([6]));
  compare("no bias", randn([4, 9, 16]), randn([12, 16]), null);
  compare(
    "non-contiguous input (transposed view)",
    randn([4, 16, 9]).transpose(1, 2),
    randn([5, 16]),
    randn([5]),
  );
});

test("oneDNN linear computes only the gradients asked for (frozen weights, frozen input)", () => {
  if (linearBackend() !== "onednn") return;
  manualSeed(1);
  const x = randn([3, 11, 10]);
  const w = randn([6, 10]);
  const b = randn([6]);
  compare("frozen layer, input grad only", x, w, b, { x: true, w: false, b: false });
  compare("weights only (first layer)", x, w, b, { x: false, w: true, b: true });
  compare("bias frozen", x, w, b, { x: true, w: true, b: false });
});

test("the two backends agree in float32, under no_grad too, and switching is reported", () => {
  manualSeed(2);
  const x = randn([8, 13, 32]);
  const w = randn([48, 32]);
  const b = randn([48]);
  const a = linearBackend("aten");
  assert.equal(a, "aten");
  const ref = pass(x, w, b, { x: true, w: true, b: true });
  const refNoGrad = noGrad(() => F.linear(x, w, b));
  if (start !== "onednn") return;
  assert.equal(linearBackend("onednn"), "onednn");
  const got = pass(x, w, b, { x: true, w: true, b: true });
  for (let i = 0; i < 4; i++) assert.ok(rel(got[i]!, ref[i]!.to("float64")) < 1e-5, `grad ${i}`);
  assert.ok(
    rel(
      noGrad(() => F.linear(x, w, b)),
      refNoGrad.to("float64"),
    ) < 1e-6,
  );
});

test("inputs oneDNN does not take fall back to at::linear: float64, bfloat16 autocast", () => {
  linearBackend(start);
  manualSeed(3);
  const x = randn([4, 8]);
  const w = randn([3, 8]);
  const y64 = F.linear(x.to("float64"), w.to("float64"));
  assert.equal(y64.dtype, "float64");
  const y16 = autocast("cpu", () => F.linear(x, w));
  assert.equal(y16.dtype, "bfloat16");
  assert.ok(rel(y16.float(), y64) < 1e-2);
});

test("an unknown linear backend is refused with the choices", () => {
  assert.throws(() => linearBackend("mkl" as "aten"), /unknown backend 'mkl' \(onednn, aten\)/);
});
