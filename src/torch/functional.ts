// torch.nn.functional: stateless neural-network operations.
import { N } from "./native.js";
import { Tensor } from "./tensor.js";

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === "number" ? [v, v] : v);
const h = (t: Tensor | null | undefined) => t?.handle ?? null;
export type Reduction = "mean" | "sum" | "none";

export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return new Tensor(N.linear(x.handle, weight.handle, h(bias)));
}

export interface ConvOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, o: ConvOptions = {}): Tensor {
  return new Tensor(
    N.conv2d(
      x.handle,
      weight.handle,
      h(bias),
      pair(o.stride ?? 1),
      pair(o.padding ?? 0),
      pair(o.dilation ?? 1),
      o.groups ?? 1,
    ),
  );
}
export function convTranspose2d(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  o: ConvOptions & { outputPadding?: Pair } = {},
): Tensor {
  return new Tensor(
    N.convTranspose2d(
      x.handle,
      weight.handle,
      h(bias),
      pair(o.stride ?? 1),
      pair(o.padding ?? 0),
      pair(o.outputPadding ?? 0),
      o.groups ?? 1,
      pair(o.dilation ?? 1),
    ),
  );
}
export function maxPool2d(
  x: Tensor,
  kernel: Pair,
  stride?: Pair,
  padding: Pair = 0,
  ceilMode = false,
): Tensor {
  return new Tensor(
    N.maxPool2d(x.handle, pair(kernel), pair(stride ?? kernel), pair(padding), [1, 1], ceilMode),
  );
}
export function avgPool2d(
  x: Tensor,
  kernel: Pair,
  stride?: Pair,
  padding: Pair = 0,
  ceilMode = false,
): Tensor {
  return new Tensor(
    N.avgPool2d(x.handle, pair(kernel), pair(stride ?? kernel), pair(padding), ceilMode, true),
  );
}
export function adaptiveAvgPool2d(x: Tensor, size: Pair): Tensor {
  return new Tensor(N.adaptiveAvgPool2d(x.handle, pair(size)));
}

export function layerNorm(
  x: Tensor,
  shape: number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  return new Tensor(N.layerNorm(x.handle, shape, h(weight), h(bias), eps));
}
export function instanceNorm(
  x: Tensor,
  o: {
    weight?: Tensor | null;
    bias?: Tensor | null;
    eps?: number;
    runningMean?: Tensor;
    runningVar?: Tensor;
  } = {},
): Tensor {
  const useInputStats = !o.runningMean;
  // With the input's own statistics, instance norm is group norm with one group per channel: on
  // CPU libtorch's group-norm kernels run it (forward + backward) 1.6-6x faster than at::instance_norm,
  // which folds the batch into channels of a batch norm (same biased variance and eps).
  if (useInputStats && !o.runningVar && x.device === "cpu" && x.ndim >= 3) {
    return groupNorm(x, x.size(1), o.weight, o.bias, o.eps ?? 1e-5);
  }
  return new Tensor(
    N.instanceNorm(
      x.handle,
      h(o.weight),
      h(o.bias),
      h(o.runningMean),
      h(o.runningVar),
      useInputStats,
      0.1,
      o.eps ?? 1e-5,
    ),
  );
}
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  o: {
    weight?: Tensor | null;
    bias?: Tensor | null;
    training?: boolean;
    momentum?: number;
    eps?: number;
  } = {},
): Tensor {
  return new Tensor(
    N.batchNorm(
      x.handle,
      h(o.weight),
      h(o.bias),
      h(runningMean),
      h(runningVar),
      o.training ?? false,
      o.momentum ?? 0.1,
      o.eps ?? 1e-5,
    ),
  );
}
export function groupNorm(
  x: Tensor,
  groups: number,
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  return new Tensor(N.groupNorm(x.handle, groups, h(weight), h(bias), eps));
}

/** GELU; approximate "none" is the exact erf form (HF's "gelu"), "tanh" the approximation. */
export function gelu(x: Tensor, approximate: "none" | "tanh" = "none"): Tensor {
  return new Tensor(N.gelu(x.handle, approximate));
}
export function relu(x: Tensor): Tensor {
  return x.relu();
}
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  return new Tensor(N.leakyRelu(x.handle, slope));
}
export function silu(x: Tensor): Tensor {
  return new Tensor(N.silu(x.handle));
}
export function softmax(x: Tensor, dim: number): Tensor {
  return x.softmax(dim);
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return x.logSoftmax(dim);
}
export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  return new Tensor(N.dropout(x.handle, p, training));
}

/**
 * Scaled dot-product attention over (..., T, Dh) query/key/value; fused kernels where the libtorch
 * has them, the explicit softmax(QK^T/sqrt(d))V otherwise.
 */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  o: { mask?: Tensor | null; dropoutP?: number; isCausal?: boolean; scale?: number; explicit?: boolean } = {},
): Tensor {
  if (N.hasFusedAttention() && !o.explicit) {
    return new Tensor(
      N.sdpa(q.handle, k.handle, v.handle, h(o.mask), o.dropoutP ?? 0, o.isCausal ?? false, o.scale ?? null),
    );
  }
  const scale = o.scale ?? 1 / Math.sqrt(q.size(-1));
  const kt = k.transpose(-2, -1);
  const s0 = q.matmul(kt);
  const s = s0.mul(scale);
  kt.dispose();
  s0.dispose();
  const masked = o.mask ? s.add(o.mask) : s;
  const p = masked.softmax(-1);
  const pd = o.dropoutP ? dropout(p, o.dropoutP, true) : p;
  const out = pd.matmul(v);
  for (const t of new Set([s, masked, p, pd])) t.dispose();
  return out;
}

export function interpolate(
  x: Tensor,
  size: [number, number],
  mode: "nearest" | "bilinear" | "bicubic" = "nearest",
  alignCorners = false,
): Tensor {
  return new Tensor(N.interpolate(x.handle, size, mode, alignCorners));
}
/** F.pad: pads lists the last dimension first, (left, right, top, bottom, ...). */
export function pad(
  x: Tensor,
  pads: number[],
  mode: "constant" | "reflect" | "replicate" = "constant",
  value = 0,
): Tensor {
  return new Tensor(N.pad(x.handle, pads, mode, value));
}
export function oneHot(x: Tensor, numClasses = -1): Tensor {
  return new Tensor(N.oneHot(x.handle, numClasses));
}
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  return new Tensor(N.embedding(weight.handle, indices.handle));
}

export interface CrossEntropyOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
  ignoreIndex?: number;
  labelSmoothing?: number;
}
/** Cross entropy of logits (B, C, ...) against class indices (B, ...). */
export function crossEntropy(logits: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  return new Tensor(
    N.crossEntropy(
      logits.handle,
      target.handle,
      h(o.weight),
      o.reduction ?? "mean",
      o.ignoreIndex ?? -100,
      o.labelSmoothing ?? 0,
    ),
  );
}
export function nllLoss(logp: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  return new Tensor(
    N.nllLoss(logp.handle, target.handle, h(o.weight), o.reduction ?? "mean", o.ignoreIndex ?? -100),
  );
}
export function mseLoss(x: Tensor, y: Tensor, reduction: Reduction = "mean"): Tensor {
  return new Tensor(N.mseLoss(x.handle, y.handle, reduction));
}
export function l1Loss(x: Tensor, y: Tensor, reduction: Reduction = "mean"): Tensor {
  return new Tensor(N.l1Loss(x.handle, y.handle, reduction));
}
