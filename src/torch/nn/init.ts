// torch.nn.init: in-place initialisers (run without autograd).
import { noGrad } from "../autograd.js";
import type { Tensor } from "../tensor.js";

/** fan_in and fan_out as torch.nn.init._calculate_fan_in_and_fan_out computes them. */
export function fans(t: Tensor): [number, number] {
  const s = t.shape;
  if (s.length < 2) throw new Error(`fan in/out needs a tensor with at least 2 dims, got [${s}]`);
  const receptive = s.slice(2).reduce((a, b) => a * b, 1);
  return [s[1] * receptive, s[0] * receptive];
}

export const zeros_ = (t: Tensor): Tensor => noGrad(() => t.zero_());
export const ones_ = (t: Tensor): Tensor => noGrad(() => t.fill_(1));
export const constant_ = (t: Tensor, v: number): Tensor => noGrad(() => t.fill_(v));
export const uniform_ = (t: Tensor, a = 0, b = 1): Tensor => noGrad(() => t.uniform_(a, b));
export const normal_ = (t: Tensor, mean = 0, std = 1): Tensor => noGrad(() => t.normal_(mean, std));

export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const [fi, fo] = fans(t);
  const a = gain * Math.sqrt(6 / (fi + fo));
  return uniform_(t, -a, a);
}
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const [fi, fo] = fans(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fi + fo)));
}

function gainFor(nonlinearity: string, a: number): number {
  if (nonlinearity === "relu") return Math.SQRT2;
  if (nonlinearity === "leaky_relu") return Math.sqrt(2 / (1 + a * a));
  if (nonlinearity === "linear" || nonlinearity === "sigmoid") return 1;
  if (nonlinearity === "tanh") return 5 / 3;
  throw new Error(`unknown nonlinearity '${nonlinearity}'`);
}
export interface KaimingOptions {
  a?: number;
  mode?: "fan_in" | "fan_out";
  nonlinearity?: string;
}
export function kaimingUniform_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const [fi, fo] = fans(t);
  const std = gainFor(o.nonlinearity ?? "leaky_relu", o.a ?? 0) / Math.sqrt(o.mode === "fan_out" ? fo : fi);
  const bound = Math.sqrt(3) * std;
  return uniform_(t, -bound, bound);
}
export function kaimingNormal_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const [fi, fo] = fans(t);
  return normal_(
    t,
    0,
    gainFor(o.nonlinearity ?? "leaky_relu", o.a ?? 0) / Math.sqrt(o.mode === "fan_out" ? fo : fi),
  );
}

/** Normal(mean, std) truncated to [a, b] by inverse-CDF sampling, as torch.nn.init.trunc_normal_. */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2): Tensor {
  const cdf = (x: number) => (1 + erf(x / Math.SQRT2)) / 2;
  const l = cdf((a - mean) / std);
  const u = cdf((b - mean) / std);
  return noGrad(() =>
    t
      .uniform_(2 * l - 1, 2 * u - 1)
      .erfinv_()
      .mul_(std * Math.SQRT2)
      .add_(mean)
      .clamp_(a, b),
  );
}

// Abramowitz-Stegun 7.1.26 is too coarse for the bounds; use a series good to 1e-12.
function erf(x: number): number {
  const s = Math.sign(x);
  const ax = Math.abs(x);
  if (ax > 6) return s;
  let sum = ax;
  let term = ax;
  for (let n = 1; n < 200; n++) {
    term *= (-ax * ax) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-16) break;
  }
  return (s * 2 * sum) / Math.sqrt(Math.PI);
}
