import assert from "node:assert/strict";
import { test } from "node:test";
import { splitIndices, splitSizes } from "../../src/data/split.js";

test("split sizes follow the fractions: 80/10/10 of 100 and of the paper's 23,040 stacks", () => {
  assert.deepEqual(splitSizes(100, [0.8, 0.1, 0.1]), [80, 10, 10]);
  assert.deepEqual(splitSizes(23040, [0.8, 0.1, 0.1]), [18432, 2304, 2304]);
  assert.deepEqual(
    splitSizes(64, [0.8, 0.1, 0.1]).reduce((a, b) => a + b),
    64,
  );
  // Tiny sets still get one validation and one test stack.
  assert.deepEqual(splitSizes(3, [0.8, 0.1, 0.1]), [1, 1, 1]);
  assert.deepEqual(splitSizes(10, [1, 0, 0]), [10, 0, 0]);
});

test("splits are disjoint, complete, sorted and repeat by seed", () => {
  for (const n of [1, 7, 100, 2382]) {
    const s = splitIndices(n, 42);
    const all = [...s.train, ...s.val, ...s.test].sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: n }, (_, i) => i),
      `n=${n}: every index once`,
    );
    for (const l of [s.train, s.val, s.test])
      assert.deepEqual(
        l,
        [...l].sort((a, b) => a - b),
      );
    assert.deepEqual(splitIndices(n, 42), s, "same seed, same split");
  }
  const a = splitIndices(100, 1);
  const b = splitIndices(100, 2);
  assert.notDeepEqual(a.test, b.test, "another seed, another split");
  // Not just a prefix cut: the shuffle spreads each split over the range.
  assert.ok(Math.max(...a.test) - Math.min(...a.test) > 30);
  assert.throws(() => splitIndices(10, 0, [0.5, 0.5]), /three non-negative/);
});
