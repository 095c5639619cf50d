// Standard layers with PyTorch's parameter names and default initialisation.
import { empty, ones, zeros } from "../creation.js";
import * as F from "../functional.js";
import type { Tensor } from "../tensor.js";
import { fans, kaimingUniform_, uniform_ } from "./init.js";
import { Module } from "./module.js";

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === "number" ? [v, v] : v);

/** PyTorch's default for Linear and Conv: kaiming_uniform(a=sqrt(5)) weights, U(+-1/sqrt(fan_in)) bias. */
function resetDefault(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias) {
    const bound = 1 / Math.sqrt(fans(weight)[0]);
    uniform_(bias, -bound, bound);
  }
}

export class Linear extends Module {
  readonly weight: Tensor; // (out, in)
  readonly bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    bias = true,
  ) {
    super();
    this.weight = this.param("weight", empty([outFeatures, inFeatures]));
    this.bias = bias ? this.param("bias", empty([outFeatures])) : null;
    resetDefault(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

export class Conv2d extends Module {
  readonly weight: Tensor; // (out, in/groups, kh, kw)
  readonly bias: Tensor | null;
  constructor(
    inChannels: number,
    outChannels: number,
    kernel: Pair,
    readonly opts: Conv2dOptions = {},
  ) {
    super();
    const [kh, kw] = pair(kernel);
    this.weight = this.param("weight", empty([outChannels, inChannels / (opts.groups ?? 1), kh, kw]));
    this.bias = opts.bias === false ? null : this.param("bias", empty([outChannels]));
    resetDefault(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, this.opts);
  }
}

export class ConvTranspose2d extends Module {
  readonly weight: Tensor; // (in, out/groups, kh, kw)
  readonly bias: Tensor | null;
  constructor(
    inChannels: number,
    outChannels: number,
    kernel: Pair,
    readonly opts: Conv2dOptions & { outputPadding?: Pair } = {},
  ) {
    super();
    const [kh, kw] = pair(kernel);
    this.weight = this.param("weight", empty([inChannels, outChannels / (opts.groups ?? 1), kh, kw]));
    this.bias = opts.bias === false ? null : this.param("bias", empty([outChannels]));
    resetDefault(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias, this.opts);
  }
}

export class LayerNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly shape: number[];
  constructor(
    shape: number | number[],
    readonly eps = 1e-5,
    affine = true,
  ) {
    super();
    this.shape = typeof shape === "number" ? [shape] : shape;
    this.weight = affine ? this.param("weight", ones(this.shape)) : null;
    this.bias = affine ? this.param("bias", zeros(this.shape)) : null;
  }
  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.shape, this.weight, this.bias, this.eps);
  }
}

/** InstanceNorm2d; affine=false and no running stats by default, as in PyTorch. */
export class InstanceNorm2d extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  constructor(
    channels: number,
    readonly opts: { affine?: boolean; eps?: number } = {},
  ) {
    super();
    this.weight = opts.affine ? this.param("weight", ones([channels])) : null;
    this.bias = opts.affine ? this.param("bias", zeros([channels])) : null;
  }
  forward(x: Tensor): Tensor {
    return F.instanceNorm(x, { weight: this.weight, bias: this.bias, eps: this.opts.eps ?? 1e-5 });
  }
}

export class BatchNorm2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: Tensor;
  constructor(
    channels: number,
    readonly eps = 1e-5,
    readonly momentum = 0.1,
  ) {
    super();
    this.weight = this.param("weight", ones([channels]));
    this.bias = this.param("bias", zeros([channels]));
    this.runningMean = this.buffer("running_mean", zeros([channels]));
    this.runningVar = this.buffer("running_var", ones([channels]));
    this.numBatchesTracked = this.buffer("num_batches_tracked", zeros([], { dtype: "int64" }));
  }
  forward(x: Tensor): Tensor {
    if (this.training) this.numBatchesTracked.add_(1);
    return F.batchNorm(x, this.runningMean, this.runningVar, {
      weight: this.weight,
      bias: this.bias,
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
    });
  }
}

export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
}

export class GELU extends Module {
  constructor(readonly approximate: "none" | "tanh" = "none") {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.gelu(x, this.approximate);
  }
}
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}
export class LeakyReLU extends Module {
  constructor(readonly slope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.slope);
  }
}
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** A module with a single-tensor forward, the unit Sequential chains. */
export interface Layer extends Module {
  forward(x: Tensor): Tensor;
}

/** Children named "0", "1", ... as in PyTorch. */
export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[];
  constructor(items: M[]) {
    super();
    this.items = items.map((m, i) => this.module(String(i), m));
  }
  get length(): number {
    return this.items.length;
  }
  at(i: number): M {
    return this.items[i < 0 ? this.items.length + i : i];
  }
  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}

/** Runs its layers in order; intermediate results are freed as it goes. */
export class Sequential extends ModuleList<Layer> {
  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.items) {
      const next = m.forward(y);
      if (y !== x && next !== y) y.dispose();
      y = next;
    }
    return y;
  }
}
