import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT } from "../helpers.js";

// The whole pipeline at its smallest, through the real command line: it must finish and write a
// summary.json with the three models' figures, each a valid classification summary.
test("hemoseg demo --size tiny runs end to end and writes summary.json", () => {
  const out = mkdtempSync(join(tmpdir(), "hemoseg-demo-"));
  try {
    const stdout = execFileSync(
      process.execPath,
      [join(ROOT, "dist/src/cli/main.js"), "demo", "--out", out, "--size", "tiny", "--threads", "2"],
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    assert.match(stdout, /macro F1/);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    for (const model of ["unetr_pretrained", "unetr_scratch", "unet"]) {
      const m = summary[model];
      assert.ok(m, `${model} in summary.json`);
      assert.ok(m.accuracy >= 0 && m.accuracy <= 1);
      assert.ok(m.macro_f1 >= 0 && m.macro_f1 <= 1);
      assert.equal(Object.keys(m.per_class).length, 11);
      const bg = m.per_class.background;
      for (const k of ["precision", "recall", "f1", "support"]) assert.equal(typeof bg[k], "number");
      assert.ok(bg.support > 0, "the test split has labelled background pixels");
    }
    assert.ok(existsSync(join(out, "runs", "mae", "best", "model.safetensors")));
    assert.ok(existsSync(join(out, "runs", "unet", "eval-test", "confusion-sparse.png")));
    assert.ok(existsSync(join(out, "report.html")));
    assert.match(stdout, /report: /);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
