import assert from "node:assert/strict";
import { test } from "node:test";
import { profileOps, randn, scope, startOpProfile, stopOpProfile } from "../../src/torch/index.js";

test("the op profiler counts a matmul + relu loop's ops exactly, with self times within the wall time", () => {
  const { ops, wallMs } = profileOps(() => {
    for (let i = 0; i < 3; i++)
      scope(() => {
        const a = randn([32, 48]);
        const b = randn([48, 16]);
        a.matmul(b).relu();
      });
  });
  const byName = new Map(ops.map((o) => [o.name, o]));
  for (const name of ["aten::randn", "aten::matmul", "aten::mm", "aten::relu"])
    assert.equal(byName.get(name)?.calls, name === "aten::randn" ? 6 : 3, `${name} calls`);
  for (const o of ops) {
    assert.ok(o.selfMs >= 0 && o.selfMs <= o.totalMs + 1e-9, `${o.name}: 0 <= self <= total`);
    assert.ok(o.calls >= 1, `${o.name}: calls`);
  }
  // aten::matmul's time is mostly aten::mm's, which must not be counted in matmul's self time.
  const mm = byName.get("aten::mm")!;
  const matmul = byName.get("aten::matmul")!;
  assert.ok(matmul.totalMs >= mm.totalMs, "matmul contains mm");
  assert.ok(matmul.selfMs <= matmul.totalMs - mm.totalMs + 1e-6, "mm is excluded from matmul's self time");
  const selfSum = ops.reduce((s, o) => s + o.selfMs, 0);
  assert.ok(selfSum > 0 && selfSum <= wallMs, `self times add up to ${selfSum} ms, within ${wallMs} ms`);
  // Sorted by self time, largest first.
  for (let i = 1; i < ops.length; i++) assert.ok(ops[i - 1].selfMs >= ops[i].selfMs);
});

test("stopping the op profiler without starting it is a clear error, and a second start is refused", () => {
  assert.throws(
    () => stopOpProfile(),
    /profilerStop: the op profiler is not running \(call profilerStart first\)/,
  );
  startOpProfile();
  try {
    assert.throws(() => startOpProfile(), /profilerStart: the op profiler is already running/);
  } finally {
    assert.ok(Array.isArray(stopOpProfile()));
  }
  assert.throws(() => stopOpProfile(), /not running/);
});

test("profileOps stops the profiler when its function throws", () => {
  assert.throws(
    () =>
      profileOps(() => {
        throw new Error("boom");
      }),
    /boom/,
  );
  const { ops } = profileOps(() => scope(() => randn([4]).relu()));
  assert.equal(ops.find((o) => o.name === "aten::relu")?.calls, 1);
});
