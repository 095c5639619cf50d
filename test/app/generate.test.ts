// hemoseg app --out (src/app/generate.ts): the folder holds everything the page loads, copied
// from the repository and node_modules, and app.json describes the run; bad runs and folders are
// refused by name, and a failed export leaves nothing behind.
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { META_CSP } from "../../src/app/csp.js";
import { ORT_FILES, writeApp } from "../../src/app/generate.js";
import { classPalette } from "../../src/viz/colours.js";

const TMP = mkdtempSync(join(tmpdir(), "hemoseg-app-gen-"));
after(() => rmSync(TMP, { recursive: true, force: true }));
const FAKE_ONNX = Uint8Array.from([8, 8, 18, 7]);
const fakeExport = (_run: string, _which: string, file: string) => writeFileSync(file, FAKE_ONNX);

function makeRun(dir: string, extra: Record<string, unknown> = {}): string {
  mkdirSync(join(dir, "best"), { recursive: true });
  writeFileSync(join(dir, "best", "config.json"), JSON.stringify({ architecture: "basic_unet" }));
  writeFileSync(
    join(dir, "run.json"),
    JSON.stringify({
      command: "train-unet",
      data: "/nowhere",
      classes: ["background", "cell", "bead"],
      stats: { mean: [1, 2, 3, 4, 5], std: [1, 1, 2, 2, 0] },
      tile: 32,
      channels: 5,
      ...extra,
    }),
  );
  return dir;
}

test("writes the page, its scripts, app.json, the model and onnxruntime-web's files", () => {
  const run = makeRun(join(TMP, "run"));
  const out = join(TMP, "app");
  const cfg = writeApp({ run, out, exportModel: fakeExport, overlap: 0.25, batch: 2 });
  const json = JSON.parse(readFileSync(join(out, "app.json"), "utf8"));
  assert.deepEqual(json, cfg);
  assert.deepEqual(
    json.classes,
    ["background", "cell", "bead"].map((name, index) => ({ index, name, colour: classPalette(3)[index] })),
  );
  assert.deepEqual(
    [json.tile, json.channels, json.overlap, json.batch, json.architecture],
    [32, 5, 0.25, 2, "basic_unet"],
  );
  assert.deepEqual(json.mean, [1, 2, 3, 4, 5]);
  assert.deepEqual(json.std, [1, 1, 2, 2, 0]);
  assert.deepEqual(readFileSync(join(out, "model.onnx")), Buffer.from(FAKE_ONNX));
  const html = readFileSync(join(out, "index.html"), "utf8");
  assert.ok(html.includes(`http-equiv="Content-Security-Policy" content="${META_CSP}"`));
  assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/.test(html), "no inline script");
  assert.ok(!/ style=|<style/.test(html), "no inline style");
  assert.ok(!/https?:\/\//.test(html), "no remote URL");
  // every local file the page names is there
  for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g))
    if (!m[1].startsWith("data:")) assert.ok(existsSync(join(out, m[1])), `${m[1]} is missing`);
  // the browser modules and what they import: all there, all relative, none Node-only
  const modules = readdirSync(join(out, "js"), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(".js"));
  for (const f of ["app/web/main.js", "app/web/segment.js", "app/web/paint.js", "eval/sliding-window.js"])
    assert.ok(modules.includes(f), `js/${f} is missing`);
  for (const f of modules) {
    const code = readFileSync(join(out, "js", f), "utf8");
    for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g)) {
      assert.ok(m[1].startsWith("./") || m[1].startsWith("../"), `js/${f} imports '${m[1]}'`);
      assert.ok(
        existsSync(join(out, "js", dirname(f), m[1])),
        `js/${f} imports ${m[1]}, which is not in the app`,
      );
    }
  }
  const require = createRequire(import.meta.url);
  const ortDist = join(dirname(require.resolve("onnxruntime-web")), "..", "dist");
  for (const f of ORT_FILES) {
    const src = existsSync(join(ortDist, f))
      ? join(ortDist, f)
      : join(dirname(require.resolve("onnxruntime-web")), f);
    assert.ok(
      readFileSync(join(out, "ort", f)).equals(readFileSync(src)),
      `ort/${f} is not onnxruntime-web's`,
    );
  }
  // rewriting an app folder replaces it
  writeApp({ run, out, exportModel: fakeExport });
  assert.equal(JSON.parse(readFileSync(join(out, "app.json"), "utf8")).overlap, 0.5);
});

test("bad runs, bad options and foreign folders are refused by name; a failed export leaves nothing", () => {
  const pre = join(TMP, "pre");
  mkdirSync(pre);
  writeFileSync(join(pre, "run.json"), JSON.stringify({ command: "pretrain" }));
  assert.throws(
    () => writeApp({ run: pre, out: join(TMP, "x"), exportModel: fakeExport }),
    /a 'pretrain' run, not a segmentation run/,
  );
  assert.throws(
    () => writeApp({ run: join(TMP, "none"), out: join(TMP, "x"), exportModel: fakeExport }),
    /none: not a hemoseg run directory/,
  );
  const noStats = makeRun(join(TMP, "nostats"), { stats: undefined });
  assert.throws(
    () => writeApp({ run: noStats, out: join(TMP, "x"), exportModel: fakeExport }),
    /run\.json: invalid run\.json:[\s\S]*stats/,
  );
  const run = makeRun(join(TMP, "run2"));
  assert.throws(
    () => writeApp({ run, out: join(TMP, "x"), exportModel: fakeExport, overlap: 1 }),
    /overlap must be in \[0, 1\)/,
  );
  const foreign = join(TMP, "foreign");
  mkdirSync(foreign);
  writeFileSync(join(foreign, "thesis.tex"), "keep me");
  assert.throws(
    () => writeApp({ run, out: foreign, exportModel: fakeExport }),
    /foreign: exists and is not a hemoseg app folder/,
  );
  assert.equal(readFileSync(join(foreign, "thesis.tex"), "utf8"), "keep me");
  const out = join(TMP, "failed");
  assert.throws(
    () =>
      writeApp({
        run,
        out,
        exportModel: () => {
          throw new Error("export failed");
        },
      }),
    /export failed/,
  );
  assert.ok(!existsSync(out) && !existsSync(join(TMP, ".failed.partial")));
});
