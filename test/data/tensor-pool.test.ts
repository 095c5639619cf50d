import assert from "node:assert/strict";
import { test } from "node:test";
import { TensorPool } from "../../src/data/tensor-pool.js";
import { liveTensors } from "../../src/torch/index.js";
import { type Handle, N } from "../../src/torch/native.js";

const data = (v: number) => new Float32Array(6).fill(v);

test("the pool recycles a batch's storage only once nobody else refers to it", () => {
  const live = liveTensors();
  const pool = new TensorPool(2);
  const a = pool.take(data(1), [2, 3], "float32");
  assert.deepEqual(a.shape, [2, 3]);
  assert.deepEqual(Array.from(a.toFloat32Array()), [1, 1, 1, 1, 1, 1]);
  const view = a.reshape([6]);
  a.dispose();
  // A view still shares the storage: the next batch must not overwrite it.
  const b = pool.take(data(2), [2, 3], "float32");
  assert.deepEqual(Array.from(view.toFloat32Array()), [1, 1, 1, 1, 1, 1]);
  view.dispose();
  const storageOf = (t: { handle: Handle }) => N.storageUseCount(t.handle);
  assert.equal(storageOf(b), 2, "the pool's reference and the batch");
  b.dispose();
  // Both storages are free now: the next batches reuse them (the pool stays at its two).
  const c = pool.take(data(3), [2, 3], "float32");
  const d = pool.take(data(4), [2, 3], "float32");
  assert.deepEqual(Array.from(c.toFloat32Array()), [3, 3, 3, 3, 3, 3]);
  assert.deepEqual(Array.from(d.toFloat32Array()), [4, 4, 4, 4, 4, 4]);
  // Past the cap with both busy, a batch gets storage of its own.
  const e = pool.take(data(5), [2, 3], "float32");
  assert.equal(storageOf(e), 1);
  // Other shapes and dtypes get their own storages; the int64 copy is exact.
  const m = pool.take(new BigInt64Array([7n, 255n]), [2], "int64");
  assert.deepEqual(Array.from(m.toTypedArray() as BigInt64Array), [7n, 255n]);
  assert.throws(() => pool.take(data(1), [7], "float32"), /holds 24 bytes, the tensor 28/);
  for (const t of [c, d, e, m]) t.dispose();
  pool.dispose();
  assert.equal(liveTensors(), live);
  // Handed-out batches outlive the pool.
  const p2 = new TensorPool();
  const f = p2.take(data(6), [2, 3], "float32");
  p2.dispose();
  assert.equal(f.toFloat32Array()[0], 6);
  f.dispose();
  assert.equal(liveTensors(), live);
});
