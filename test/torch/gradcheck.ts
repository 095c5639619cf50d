// Finite-difference gradient checking in float64, like torch.autograd.gradcheck.
import assert from "node:assert/strict";
import { noGrad, randn, scope, type Tensor, tensor } from "../../src/torch/index.js";

/**
 * Checks d(sum(fn(inputs) * w))/d(input) against central differences for every element of every
 * input; w is a fixed random weighting so that every output element matters.
 */
export function gradcheck(
  name: string,
  fn: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  eps = 1e-6,
  tol = 1e-5,
): void {
  scope(() => {
    const xs = inputs.map((x) => x.detach().clone().requiresGrad_(true));
    const out0 = fn(...xs);
    const w = randn(out0.shape, { dtype: "float64" });
    out0.mul(w).sum().backward();
    const f = (ys: Tensor[]) =>
      scope(() =>
        fn(...ys)
          .mul(w)
          .sum()
          .item(),
      );
    xs.forEach((x, k) => {
      const analytic = x.grad!.toTypedArray() as Float64Array;
      const base = noGrad(() => x.detach().clone()).toTypedArray() as Float64Array;
      for (let i = 0; i < base.length; i++) {
        const probe = (delta: number) =>
          noGrad(() => {
            const v = Float64Array.from(base);
            v[i] += delta;
            const xi = tensor(v, x.shape, "float64");
            return f(xs.map((y, j) => (j === k ? xi : y.detach())));
          });
        const numeric = (probe(eps) - probe(-eps)) / (2 * eps);
        const err = Math.abs(numeric - analytic[i]);
        assert.ok(
          err <= tol * (1 + Math.abs(numeric)),
          `${name}: input ${k} element ${i}: analytic ${analytic[i]} vs numeric ${numeric}`,
        );
      }
    });
  });
}
