import { test } from "node:test";
import { F, manualSeed, rand, randint, randn, tensor } from "../../src/torch/index.js";
import { gradcheck } from "./gradcheck.js";

const d = { dtype: "float64" as const };
manualSeed(0);

test("gradcheck: elementwise arithmetic and unary functions", () => {
  const a = randn([3, 4], d);
  const b = rand([3, 4], d).add(0.5);
  gradcheck("add/sub/mul/div", (x, y) => x.add(y).mul(x).sub(y.mul(3)).div(y), [a, b]);
  gradcheck("pow", (x, y) => y.pow(x), [a, b]);
  gradcheck("pow scalar", (y) => y.pow(2.5), [b]);
  gradcheck("exp/log/sqrt/rsqrt", (y) => y.exp().add(y.log()).add(y.sqrt()).add(y.rsqrt()), [b]);
  gradcheck("tanh/sigmoid/erf/abs", (x) => x.tanh().add(x.sigmoid()).add(x.erf()).add(x.abs()), [a]);
  gradcheck(
    "gelu erf/tanh, leaky relu, silu",
    (x) => F.gelu(x).add(F.gelu(x, "tanh")).add(F.leakyRelu(x, 0.1)).add(F.silu(x)),
    [a],
  );
  gradcheck("clamp/maximum/where", (x, y) => x.clamp(-0.5, 0.5).add(x.maximum(y)), [a, b]);
});

test("gradcheck: reductions, softmax, normalisation statistics", () => {
  const a = randn([2, 3, 4], d);
  gradcheck("sum/mean", (x) => x.sum([1], true).add(x.mean(-1, true)), [a]);
  gradcheck(
    "var/std unbiased and biased",
    (x) => x.var(-1, true).add(x.std([1, 2], false, false).unsqueeze(-1)),
    [a],
  );
  gradcheck("softmax/logSoftmax", (x) => x.softmax(-1).add(x.logSoftmax(1)), [a]);
  gradcheck("amax/logsumexp/norm", (x) => x.amax(-1).add(x.logsumexp(-1)).add(x.norm(2, -1)), [a]);
});

test("gradcheck: views, indexing and joins", () => {
  const a = randn([2, 3, 4], d);
  const idx = tensor(new BigInt64Array([2n, 0n]), [2], "int64");
  const g = randint(0, 4, [2, 3, 2]);
  gradcheck(
    "permute/reshape/transpose/flatten",
    (x) => x.permute(2, 0, 1).reshape(4, 6).transpose(0, 1).flatten(),
    [a],
  );
  gradcheck("slice/narrow/select/flip", (x) => x.slice(2, 1, 4).narrow(1, 0, 2).select(0, 1).flip(0), [a]);
  gradcheck("indexSelect/gather", (x) => x.indexSelect(1, idx).sum().add(x.gather(2, g).sum()), [a]);
  gradcheck(
    "cat/stack/split/expand/repeat",
    (x, y) =>
      F.pad(x, [1, 1])
        .add(0)
        .sum([2])
        .add(y.split(2, 2)[0].sum([2]))
        .add(x.unsqueeze(0).expand(2, 2, 3, 4).sum([0, 3]))
        .add(y.repeat(1, 1, 2).sum(2)),
    [a, randn([2, 3, 4], d)],
  );
  gradcheck("maskedFill", (x) => x.maskedFill(x.gt(0), 0), [a]);
});

test("gradcheck: matmul, bmm, linear, einsum", () => {
  const x = randn([2, 3, 4], d);
  const w = randn([5, 4], d);
  const b = randn([5], d);
  gradcheck("linear", (xx, ww, bb) => F.linear(xx, ww, bb), [x, w, b]);
  gradcheck("matmul/bmm", (xx, yy) => xx.matmul(yy).add(xx.bmm(yy)), [x, randn([2, 4, 2], d)]);
});

test("gradcheck: convolution, pooling, interpolation", () => {
  const x = randn([1, 2, 5, 5], d);
  gradcheck("conv2d", (xx, w, b) => F.conv2d(xx, w, b, { padding: 1, stride: 2 }), [
    x,
    randn([3, 2, 3, 3], d),
    randn([3], d),
  ]);
  gradcheck("convTranspose2d", (xx, w) => F.convTranspose2d(xx, w, null, { stride: 2 }), [
    x,
    randn([2, 3, 2, 2], d),
  ]);
  gradcheck("max/avg pool", (xx) => F.maxPool2d(xx, 2).sum().add(F.avgPool2d(xx, 2).sum()), [x]);
  gradcheck(
    "interpolate bilinear/bicubic/nearest",
    (xx) =>
      F.interpolate(xx, [7, 7], "bilinear")
        .add(F.interpolate(xx, [7, 7], "bicubic"))
        .add(F.interpolate(xx, [7, 7])),
    [x],
  );
});

test("gradcheck: layer, instance, group and batch norm", () => {
  const x = randn([2, 4, 3, 3], d);
  const w = randn([4], d);
  const b = randn([4], d);
  gradcheck("layerNorm", (xx, ww, bb) => F.layerNorm(xx.permute(0, 2, 3, 1), [4], ww, bb, 1e-6), [x, w, b]);
  gradcheck(
    "instanceNorm",
    (xx, ww, bb) => F.instanceNorm(xx, { weight: ww, bias: bb }).add(F.instanceNorm(xx)),
    [x, w, b],
  );
  gradcheck("groupNorm", (xx, ww, bb) => F.groupNorm(xx, 2, ww, bb), [x, w, b]);
  gradcheck(
    "batchNorm (training)",
    (xx, ww, bb) => F.batchNorm(xx, null, null, { weight: ww, bias: bb, training: true }),
    [x, w, b],
  );
});

test("gradcheck: losses and attention", () => {
  const logits = randn([3, 4, 2, 2], d);
  const target = tensor(
    new BigInt64Array([0n, 1n, 255n, 3n, 2n, 2n, 255n, 0n, 1n, 3n, 0n, 255n]),
    [3, 2, 2],
    "int64",
  );
  const weight = rand([4], d).add(0.5);
  gradcheck(
    "crossEntropy ignore_index + weights",
    (l) => F.crossEntropy(l, target, { ignoreIndex: 255, weight }),
    [logits],
  );
  gradcheck(
    "crossEntropy sum, label smoothing",
    (l) => F.crossEntropy(l, target, { ignoreIndex: 255, reduction: "sum", labelSmoothing: 0.1 }),
    [logits],
  );
  gradcheck("mse/l1", (x, y) => F.mseLoss(x, y).add(F.l1Loss(x, y, "sum")), [randn([5], d), randn([5], d)]);
  const q = randn([1, 2, 3, 4], d);
  const k = randn([1, 2, 3, 4], d);
  const v = randn([1, 2, 3, 4], d);
  gradcheck("sdpa fused", (a, b, c) => F.scaledDotProductAttention(a, b, c), [q, k, v]);
  gradcheck("sdpa explicit", (a, b, c) => F.scaledDotProductAttention(a, b, c, { explicit: true }), [
    q,
    k,
    v,
  ]);
});
