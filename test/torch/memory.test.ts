import assert from "node:assert/strict";
import { test } from "node:test";
import {
  F,
  keep,
  liveTensors,
  manualSeed,
  nn,
  optim,
  randn,
  scope,
  type Tensor,
  tensor,
} from "../../src/torch/index.js";

class TinyNet extends nn.Module {
  fc1 = this.module("fc1", new nn.Linear(8, 16));
  norm = this.module("norm", new nn.LayerNorm(16));
  fc2 = this.module("fc2", new nn.Linear(16, 3));
  forward(x: Tensor): Tensor {
    return scope(() => this.fc2.forward(F.gelu(this.norm.forward(this.fc1.forward(x)))));
  }
}

test("1,000 training steps leave the live-tensor count exactly flat and RSS flat", () => {
  manualSeed(0);
  const net = new TinyNet();
  const opt = new optim.Adam(net.parameters(), { lr: 1e-2 });
  const x = keep(randn([32, 8]));
  const y = keep(
    tensor(
      new BigInt64Array(32).map((_, i) => BigInt(i % 3)),
      [32],
    ),
  );
  const step = () =>
    scope(() => {
      opt.zeroGrad();
      const loss = F.crossEntropy(net.forward(x), y);
      loss.backward();
      opt.step();
      return loss.item();
    });
  // warm up: optimiser state, allocator pools
  for (let i = 0; i < 50; i++) step();
  global.gc?.();
  const live = liveTensors();
  const rss = process.memoryUsage().rss;
  let first = 0;
  let last = 0;
  for (let i = 0; i < 1000; i++) {
    const l = step();
    if (i === 0) first = l;
    last = l;
  }
  assert.equal(liveTensors(), live, "live tensors flat");
  const grown = (process.memoryUsage().rss - rss) / 2 ** 20;
  assert.ok(grown < 20, `RSS grew by ${grown.toFixed(1)} MiB over 1,000 steps`);
  assert.ok(last < first, "and it trained");
  opt.dispose();
  net.dispose();
  x.dispose();
  y.dispose();
});

test("scope frees everything but its result; keep() survives; errors free too", () => {
  const before = liveTensors();
  const r = scope(() => {
    const a = randn([3]);
    const b = a.mul(2);
    keep(a.add(1)).dispose();
    return { b, list: [b.add(1)] };
  });
  assert.equal(liveTensors(), before + 2);
  r.b.dispose();
  r.list[0].dispose();
  assert.equal(liveTensors(), before);
  assert.throws(() =>
    scope(() => {
      randn([3]);
      throw new Error("boom");
    }),
  );
  assert.equal(liveTensors(), before);
  assert.throws(() => scope(() => Promise.resolve(1)), /synchronous/);
});

test("the native finalizer frees tensors the program forgot", async () => {
  assert.ok(global.gc, "run the tests with node --expose-gc (npm test does)");
  const before = liveTensors();
  (() => {
    for (let i = 0; i < 100; i++) randn([10]);
  })();
  for (let i = 0; i < 5 && liveTensors() > before; i++) {
    await new Promise((r) => setImmediate(r));
    global.gc();
  }
  assert.equal(liveTensors(), before);
});
