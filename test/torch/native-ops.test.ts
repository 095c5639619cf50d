import assert from "node:assert/strict";
import { test } from "node:test";
import { N } from "../../src/torch/native.js";
import { NATIVE_OPS } from "../../src/torch/ops.js";

// The addon's exports and the typed table in src/torch/ops.ts must name the same ops: an op
// added in C++ without a declaration, or declared but gone from C++, fails here.
test("the addon exports exactly the ops declared in src/torch/ops.ts", () => {
  // The first read loads the addon and rebinds N (a lazy proxy until then) to its export table.
  assert.equal(typeof N.torchVersion, "string");
  const exported = Object.keys(N)
    .filter((k) => k !== "torchVersion")
    .sort();
  const declared = [...NATIVE_OPS].sort();
  assert.deepEqual(
    exported.filter((k) => !declared.includes(k as never)),
    [],
    "exported by the addon but not declared",
  );
  assert.deepEqual(
    declared.filter((k) => !exported.includes(k)),
    [],
    "declared but not exported by the addon",
  );
});
