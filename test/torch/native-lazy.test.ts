// The addon loads on first use, not at import: importing hemoseg's whole library (what the
// libtorch-free `predict --engine onnx` path does and more) leaves libtorch unloaded, and the
// first look at the op table, whether a call, a listing or an `in` test, loads it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { NATIVE_OPS } from "../../src/torch/ops.js";
import { ROOT } from "../helpers.js";

/** Runs `body` in a fresh Node process after importing the library and native.js; returns its JSON. */
function fresh(body: string): Record<string, unknown> {
  const url = (p: string) => pathToFileURL(join(ROOT, "dist", "src", p)).href;
  const script = `
    await import(${JSON.stringify(url("index.js"))});
    const m = await import(${JSON.stringify(url("torch/native.js"))});
    const out = { before: m.nativeLoaded() };
    ${body}
    out.after = m.nativeLoaded();
    console.log(JSON.stringify(out));`;
  const stdout = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
}

test("importing the library loads no libtorch; listing the op table loads it and lists every op", () => {
  const r = fresh("out.keys = Object.keys(m.N).filter((k) => k !== 'torchVersion').sort();");
  assert.equal(r.before, false);
  assert.equal(r.after, true);
  assert.deepEqual(r.keys, [...NATIVE_OPS].sort());
});

test("an `in` test and an op call each load the addon on their own", () => {
  const viaIn = fresh("out.has = 'zeros' in m.N && !('noSuchOp' in m.N);");
  assert.deepEqual([viaIn.before, viaIn.has, viaIn.after], [false, true, true]);
  const viaCall = fresh("out.version = m.N.torchVersion; out.info = m.nativeInfo.version;");
  assert.equal(viaCall.before, false);
  assert.equal(viaCall.after, true);
  assert.equal(viaCall.version, viaCall.info);
});
