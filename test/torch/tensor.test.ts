import assert from "node:assert/strict";
import { test } from "node:test";
import {
  arange,
  cat,
  cuda,
  DTYPES,
  F,
  full,
  linspace,
  manualSeed,
  nativeInfo,
  ones,
  rand,
  randint,
  randn,
  scope,
  stack,
  tensor,
  where,
  zeros,
} from "../../src/torch/index.js";

test("creation: shapes, dtypes and values", () => {
  scope(() => {
    for (const dt of DTYPES) {
      const z = zeros([2, 3], { dtype: dt });
      assert.equal(z.dtype, dt);
      assert.deepEqual(z.shape, [2, 3]);
      assert.equal(z.numel, 6);
      assert.equal(z.ndim, 2);
    }
    assert.deepEqual(ones([3]).toArray(), [1, 1, 1]);
    assert.deepEqual(full([2], 7, { dtype: "int32" }).toArray(), [7, 7]);
    assert.deepEqual(arange(5).toArray(), [0, 1, 2, 3, 4]);
    assert.equal(arange(5).dtype, "int64");
    assert.deepEqual(arange(0, 1, 0.25).toArray(), [0, 0.25, 0.5, 0.75]);
    assert.deepEqual(linspace(0, 1, 3).toArray(), [0, 0.5, 1]);
    const r = randint(3, 6, [1000]).toArray();
    assert.ok(r.every((v) => v >= 3 && v < 6) && new Set(r).size === 3);
    const u = rand([1000]).toArray();
    assert.ok(u.every((v) => v >= 0 && v < 1));
    const n = randn([10000]);
    assert.ok(Math.abs(n.mean().item()) < 0.05 && Math.abs(n.std().item() - 1) < 0.05);
    const b = tensor(new Uint8Array([1, 0, 1]), [3], "bool");
    assert.equal(b.dtype, "bool");
    assert.deepEqual(b.toArray(), [1, 0, 1]);
    const i64 = tensor(new BigInt64Array([1n, -2n]), [2]);
    assert.equal(i64.dtype, "int64");
    assert.deepEqual(i64.toArray(), [1, -2]);
    assert.equal(tensor([1.5, 2.5], [2], "float64").dtype, "float64");
    const h = tensor([1, 2, 3]).to("bfloat16");
    assert.deepEqual(h.float().toArray(), [1, 2, 3]);
    assert.deepEqual(tensor([1, 2, 3]).to("float16").float().toArray(), [1, 2, 3]);
    assert.equal(tensor([4]).item(), 4);
  });
});

test("CUDA is reported available only by a CUDA build that sees a device", () => {
  const n = cuda.deviceCount();
  assert.ok(Number.isInteger(n) && n >= 0, `device count ${n}`);
  assert.equal(cuda.isAvailable(), n > 0);
  if (!nativeInfo.cuda) assert.equal(cuda.isAvailable(), false, "a CPU-only libtorch has no CUDA device");
});

test("manualSeed makes random draws repeat exactly", () => {
  scope(() => {
    manualSeed(42);
    const a = randn([5]).toArray();
    manualSeed(42);
    assert.deepEqual(randn([5]).toArray(), a);
  });
});

test("views and indexing", () => {
  scope(() => {
    const x = arange(24).reshape(2, 3, 4);
    assert.deepEqual(x.permute(2, 0, 1).shape, [4, 2, 3]);
    assert.deepEqual(x.transpose(0, 2).contiguous().view(4, 6).shape, [4, 6]);
    assert.deepEqual(x.flatten(1).shape, [2, 12]);
    assert.deepEqual(x.unsqueeze(0).squeeze(0).shape, [2, 3, 4]);
    assert.deepEqual(x.slice(2, 1, 3).select(0, 1).toArray(), [13, 14, 17, 18, 21, 22]);
    assert.deepEqual(x.narrow(1, 2, 1).flatten().toArray(), [8, 9, 10, 11, 20, 21, 22, 23]);
    const idx = tensor(new BigInt64Array([2n, 0n]));
    assert.deepEqual(x.select(0, 0).indexSelect(0, idx).toArray(), [8, 9, 10, 11, 0, 1, 2, 3]);
    assert.deepEqual(x.select(0, 0).select(0, 0).gather(0, idx).toArray(), [2, 0]);
    const s = zeros([4]).scatter(0, idx, tensor([5, 6]));
    assert.deepEqual(s.toArray(), [6, 0, 5, 0]);
    assert.deepEqual(zeros([4]).scatter(0, idx, 9).toArray(), [9, 0, 9, 0]);
    assert.deepEqual(
      tensor([1, 2, 3])
        .maskedFill(tensor([1, 2, 3]).gt(1), -1)
        .toArray(),
      [1, -1, -1],
    );
    assert.deepEqual(cat([ones([1, 2]), zeros([2, 2])]).shape, [3, 2]);
    assert.deepEqual(stack([ones([2]), zeros([2])], 1).toArray(), [1, 0, 1, 0]);
    assert.deepEqual(
      arange(5)
        .split(2)
        .map((t) => t.numel),
      [2, 2, 1],
    );
    assert.deepEqual(
      arange(6)
        .chunk(3)
        .map((t) => t.toArray()),
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
    );
    assert.deepEqual(arange(4).reshape(2, 2).flip([0, 1]).toArray(), [3, 2, 1, 0]);
    assert.deepEqual(tensor([1, 2]).expand(2, 2).toArray(), [1, 2, 1, 2]);
    assert.deepEqual(tensor([1, 2]).repeat(2).toArray(), [1, 2, 1, 2]);
    assert.deepEqual(F.pad(tensor([1, 2]).reshape(1, 2), [1, 2], "constant", 9).toArray(), [9, 1, 2, 9, 9]);
    assert.deepEqual(
      arange(6)
        .reshape(2, 3)
        .index([null, tensor(new BigInt64Array([2n]))])
        .toArray(),
      [2, 5],
    );
  });
});

test("math: broadcasting, scalars, promotion, comparisons", () => {
  scope(() => {
    const a = tensor([1, 2, 3]).reshape(3, 1);
    const b = tensor([10, 20]);
    assert.deepEqual(a.add(b).toArray(), [11, 21, 12, 22, 13, 23]);
    assert.deepEqual(a.add(b, 2).flatten().toArray(), [21, 41, 22, 42, 23, 43]);
    assert.deepEqual(tensor([1, 2]).mul(3).toArray(), [3, 6]);
    assert.deepEqual(tensor([1, 2]).rsub(1).toArray(), [0, -1]);
    assert.deepEqual(tensor([1, 2]).rdiv(2).toArray(), [2, 1]);
    assert.equal(arange(3).add(1).dtype, "int64", "int tensor + whole number stays int");
    assert.equal(arange(3).add(0.5).dtype, "float32", "int tensor + fraction promotes");
    assert.deepEqual(tensor([4, 9]).sqrt().toArray(), [2, 3]);
    assert.deepEqual(tensor([-1, 5]).clamp(0, 2).toArray(), [0, 2]);
    assert.deepEqual(where(tensor([1, 0]).gt(0), tensor([1, 1]), 0).toArray(), [1, 0]);
    assert.deepEqual(tensor([1, 2, 3]).eq(2).toArray(), [0, 1, 0]);
    assert.deepEqual(
      tensor([1, 2, 3])
        .ge(tensor([3, 2, 1]))
        .toArray(),
      [0, 1, 1],
    );
    assert.deepEqual(tensor([2]).pow(3).toArray(), [8]);
    assert.deepEqual(arange(7).remainder(3).toArray(), [0, 1, 2, 0, 1, 2, 0]);
  });
});

test("reductions, sort, topk", () => {
  scope(() => {
    const x = tensor([1, 2, 3, 4, 5, 6]).reshape(2, 3);
    assert.equal(x.sum().item(), 21);
    assert.deepEqual(x.sum(1).toArray(), [6, 15]);
    assert.deepEqual(x.mean(0, true).shape, [1, 3]);
    assert.ok(Math.abs(tensor([1, 2, 3, 4]).var().item() - 5 / 3) < 1e-6, "unbiased by default");
    assert.ok(Math.abs(tensor([1, 2, 3, 4]).var(null, false).item() - 1.25) < 1e-6);
    const [v, i] = x.maxDim(1);
    assert.deepEqual(v.toArray(), [3, 6]);
    assert.deepEqual(i.toArray(), [2, 2]);
    assert.deepEqual(x.argmax().toArray(), [5]);
    assert.equal(x.max().item(), 6);
    // stable: equal keys keep their original order
    assert.deepEqual(tensor([3, 1, 2, 1, 3, 1]).argsort().toArray(), [1, 3, 5, 2, 0, 4]);
    assert.deepEqual(tensor([3, 1, 2]).sort(0, true)[0].toArray(), [3, 2, 1]);
    const [tv, ti] = tensor([5, 1, 4, 9]).topk(2);
    assert.deepEqual(
      [tv.toArray(), ti.toArray()],
      [
        [9, 5],
        [3, 0],
      ],
    );
    assert.deepEqual(x.matmul(x.transpose(0, 1)).toArray(), [14, 32, 32, 77]);
  });
});

test("nn functions: known values", () => {
  scope(() => {
    assert.ok(Math.abs(F.gelu(tensor([1])).item() - 0.8413447) < 1e-6);
    assert.ok(Math.abs(F.gelu(tensor([1]), "tanh").item() - 0.841192) < 1e-6);
    assert.deepEqual(
      F.leakyRelu(tensor([-1, 2]), 0.1)
        .toArray()
        .map((v) => Math.round(v * 10) / 10),
      [-0.1, 2],
    );
    const logits = tensor([2, 0, 0, 0, 2, 0]).reshape(2, 3);
    const target = tensor(new BigInt64Array([0n, 255n]));
    const ce = F.crossEntropy(logits, target, { ignoreIndex: 255 }).item();
    assert.ok(
      Math.abs(ce - -Math.log(Math.exp(2) / (Math.exp(2) + 2))) < 1e-6,
      "ignored pixels do not count",
    );
    assert.deepEqual(F.oneHot(tensor(new BigInt64Array([1n, 0n])), 3).toArray(), [0, 1, 0, 1, 0, 0]);
    const img = arange(16, undefined, 1, { dtype: "float32" }).reshape(1, 1, 4, 4);
    assert.deepEqual(F.maxPool2d(img, 2).flatten().toArray(), [5, 7, 13, 15]);
    assert.deepEqual(F.avgPool2d(img, 2).flatten().toArray(), [2.5, 4.5, 10.5, 12.5]);
    assert.deepEqual(F.interpolate(img, [8, 8]).shape, [1, 1, 8, 8]);
    const w = ones([1, 1, 2, 2]);
    assert.deepEqual(F.conv2d(img, w, null, { stride: 2 }).flatten().toArray(), [10, 18, 42, 50]);
    assert.deepEqual(F.convTranspose2d(ones([1, 1, 1, 1]), w, null, { stride: 2 }).shape, [1, 1, 2, 2]);
    const ln = F.layerNorm(tensor([1, 2, 3]), [3]);
    assert.ok(Math.abs(ln.mean().item()) < 1e-6);
    assert.deepEqual(F.dropout(ones([4]), 0.5, false).toArray(), [1, 1, 1, 1]);
    const drop = F.dropout(ones([1000]), 0.5, true).toArray();
    assert.ok(drop.every((v) => v === 0 || v === 2) && drop.filter((v) => v === 0).length > 400);
  });
});
