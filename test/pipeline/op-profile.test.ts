import assert from "node:assert/strict";
import { test } from "node:test";
import {
  formatOpProfiles,
  mergeOpTables,
  type OpTable,
  OUTSIDE_OPS,
  opTableFromPython,
  summariseOps,
} from "../../src/pipeline/op-profile.js";

const table: OpTable = {
  steps: 2,
  wallMs: 100,
  ops: [
    { name: "aten::linear", calls: 4, totalMs: 50, selfMs: 2 },
    { name: "aten::addmm", calls: 4, totalMs: 48, selfMs: 48 },
    { name: "aten::gelu", calls: 2, totalMs: 10, selfMs: 10 },
    { name: "aten::_fused_adam_", calls: 2, totalMs: 20, selfMs: 20 },
  ],
};

test("an op table is summarised per step and category from self times, with the time outside ops", () => {
  const p = summariseOps(table, 2);
  const cat = Object.fromEntries(p.categories.map((c) => [c.category, [c.msPerStep, c.share]]));
  assert.deepEqual(cat.GEMM, [25, 0.5]);
  assert.deepEqual(cat.elementwise, [5, 0.1]);
  assert.deepEqual(cat.optimizer, [10, 0.2]);
  assert.deepEqual(cat.attention, [0, 0]);
  assert.deepEqual(cat[OUTSIDE_OPS], [10, 0.2]);
  assert.equal(p.wallMsPerStep, 50);
  assert.deepEqual(
    p.top.map((o) => [o.name, o.category, o.callsPerStep, o.msPerStep]),
    [
      ["aten::addmm", "GEMM", 2, 24],
      ["aten::_fused_adam_", "optimizer", 1, 10],
    ],
  );
  const text = formatOpProfiles({ hemoseg: p, pytorch: p });
  assert.match(text, /\| GEMM \| 25\.0 \| 50\.0% \| 25\.0 \| 50\.0% \|/);
  assert.match(text, /\| aten::addmm \| GEMM \| 2 \| 24\.0 \| 48\.0% \|/);
});

test("rounds merge by op name; PyTorch's table converts from microseconds; bad tables are refused", () => {
  const m = mergeOpTables(table, {
    steps: 1,
    wallMs: 40,
    ops: [
      { name: "aten::addmm", calls: 2, totalMs: 20, selfMs: 20 },
      { name: "aten::cat", calls: 1, totalMs: 1, selfMs: 1 },
    ],
  });
  assert.equal(m.steps, 3);
  assert.equal(m.wallMs, 140);
  assert.deepEqual(
    m.ops.find((o) => o.name === "aten::addmm"),
    { name: "aten::addmm", calls: 6, totalMs: 68, selfMs: 68 },
  );
  assert.equal(m.ops.length, 5);
  assert.equal(table.ops[1].calls, 4, "the inputs are left alone");
  const py = opTableFromPython({ steps: 2, wall_s: 0.5, ops: [["aten::mm", 4, 1500, 2000]] }, "x.py");
  assert.deepEqual(py, {
    steps: 2,
    wallMs: 500,
    ops: [{ name: "aten::mm", calls: 4, selfMs: 1.5, totalMs: 2 }],
  });
  assert.throws(
    () => opTableFromPython({ steps: 2 }, "bench/mae_torch.py"),
    /bench\/mae_torch\.py: op_profile must be/,
  );
  assert.throws(
    () => opTableFromPython({ steps: 1, wall_s: 1, ops: [["aten::mm", "4"]] }, "y.py"),
    /y\.py: op_profile\.ops\[0\] is not/,
  );
  assert.throws(() => summariseOps({ steps: 0, wallMs: 0, ops: [] }), /no profiled steps/);
});
