import assert from "node:assert/strict";
import { test } from "node:test";
import { cuda, F, ones, randn, scope, tensor, zeros } from "../../src/torch/index.js";

// Each bad call must throw a JS Error carrying libtorch's message (no C++ backtrace),
// and the process must carry on working afterwards.
const cases: [string, () => unknown, RegExp][] = [
  ["matmul shape mismatch", () => randn([2, 3]).matmul(randn([2, 3])), /cannot be multiplied/],
  ["broadcast mismatch", () => randn([2, 3]).add(randn([4])), /size of tensor a \(3\) must match/],
  ["reshape to a wrong size", () => randn([6]).reshape(4, 2), /invalid for input of size 6/],
  [
    "dtype: cross entropy with float targets",
    () => F.crossEntropy(randn([2, 3]), randn([2])),
    /expected|Float|Long|scalar type/i,
  ],
  [
    "index out of range",
    () => randn([3]).indexSelect(0, tensor(new BigInt64Array([5n]))),
    /out of range|index/i,
  ],
  ["bad dimension", () => randn([3]).sum(4), /Dimension out of range/],
  ["conv channel mismatch", () => F.conv2d(randn([1, 2, 4, 4]), randn([3, 5, 3, 3])), /channels|expected/i],
  ["unknown dtype", () => zeros([2], { dtype: "float128" as "float32" }), /unknown dtype 'float128'/],
  ["wrong argument type", () => randn([2]).add("x" as unknown as number), /expected a Tensor/],
  ["buffer size mismatch", () => tensor(new Float32Array(3), [2, 2]), /holds 12 bytes but shape \[2, 2\]/],
];

// Without a CUDA device (a CPU build, or no GPU), moving a tensor to CUDA is refused; with one,
// an ordinal past the last device is.
cases.push([
  cuda.isAvailable() ? "device ordinal past the last GPU" : "CUDA asked of a machine without a CUDA device",
  () => randn([2]).to(cuda.isAvailable() ? `cuda:${cuda.deviceCount()}` : "cuda"),
  /CUDA|cuda|device/,
]);

for (const [name, fn, re] of cases) {
  test(`error: ${name}`, () => {
    scope(() => {
      assert.throws(fn, (e: unknown) => {
        assert.ok(e instanceof Error, "a JS Error");
        assert.match(e.message, re);
        assert.doesNotMatch(e.message, /Exception raised from|frame #\d/, "no C++ backtrace");
        return true;
      });
      // the process keeps working
      assert.equal(ones([2, 2]).sum().item(), 4);
    });
  });
}

test("using a disposed tensor throws; dispose is idempotent", () => {
  const t = ones([2]);
  t.dispose();
  t.dispose();
  assert.equal(t.isDisposed, true);
  assert.throws(() => t.add(1), /tensor used after dispose\(\)/);
  assert.throws(() => ones([2]).add(t), /tensor used after dispose\(\)/);
});

test("backward errors are exceptions too", () => {
  scope(() => {
    assert.throws(() => ones([2]).sum().backward(), /does not require grad/);
    const x = ones([2]).requiresGrad_();
    assert.throws(() => x.mul(2).backward(), /grad can be implicitly created only for scalar outputs/);
  });
});
