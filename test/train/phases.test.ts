import assert from "node:assert/strict";
import { test } from "node:test";
import { PhaseTimer, timedBatches } from "../../src/train/phases.js";

test("PhaseTimer sums each phase, counts calls and reports shares of a named total", () => {
  const p = new PhaseTimer();
  p.add("forward", 300);
  p.add("forward", 100);
  p.add("backward", 600);
  p.add("epoch", 2000);
  const r = p.report("epoch");
  assert.deepEqual(r.forward, { s: 0.4, share: 0.2, calls: 2 });
  assert.deepEqual(r.backward, { s: 0.6, share: 0.3, calls: 1 });
  assert.equal(
    p.time("x", () => 42),
    42,
  );
  assert.equal(p.counts.get("x"), 1);
  assert.throws(
    () =>
      p.time("y", () => {
        throw new Error("boom");
      }),
    /boom/,
  );
  assert.equal(p.counts.get("y"), 1, "a throwing phase is still timed");
});

test("timedBatches passes batches through, times each wait and closes the source when stopped early", async () => {
  let closed = false;
  async function* src() {
    try {
      for (let i = 0; i < 5; i++) yield i;
    } finally {
      closed = true;
    }
  }
  const p = new PhaseTimer();
  const got: number[] = [];
  for await (const b of timedBatches(src(), p)) {
    got.push(b);
    if (b === 2) break;
  }
  assert.deepEqual(got, [0, 1, 2]);
  assert.equal(p.counts.get("data"), 3);
  assert.ok(closed, "the source generator was returned");
  const all: number[] = [];
  for await (const b of timedBatches(src(), new PhaseTimer())) all.push(b);
  assert.deepEqual(all, [0, 1, 2, 3, 4]);
});
