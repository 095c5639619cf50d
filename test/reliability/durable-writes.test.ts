// Durable writes: a write cut short (the file-size limit reached, as when a disk fills) must fail
// loudly, name the file and the reason, and leave the previous file or checkpoint exactly as it
// was, with no temporary files behind. Each case runs the write in a child under `ulimit -f`.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { appendDurable, writeDirAtomic, writeFileAtomic } from "../../src/io/atomic.js";
import { readNpy, writeNpy } from "../../src/io/npy.js";
import { readPng, writePng } from "../../src/io/png.js";
import { loadSafetensors, saveSafetensors } from "../../src/io/safetensors.js";
import { tensor } from "../../src/torch/index.js";
import { dist, leftovers, runCli, runScript, tempDir } from "./child.js";
import { makeSegRun } from "./seg-run.js";

const LIMIT_KIB = 64; // the child may write files of at most 64 KiB

/** The error the process reported: its first error line (an uncaught error also prints causes). */
const mainError = (stderr: string): string =>
  stderr.split("\n").find((l) => /^(\w*Error: |hemoseg: )/.test(l)) ?? stderr;

function assertRefused(r: { status: number | null; stderr: string }, file: string): string {
  assert.notEqual(r.status, 0, `the failed write must fail the process: ${file}`);
  const msg = mainError(r.stderr);
  assert.ok(msg.includes(`${file}: not saved`), `the error names ${file}: ${r.stderr}`);
  assert.match(msg, /file too large \(the file-size limit was reached\) \(EFBIG\)/);
  return msg;
}

test("a safetensors save cut short leaves the previous file intact and names the file", () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, "model.safetensors");
    const small = tensor(
      Float32Array.from({ length: 1000 }, (_, i) => i),
      [1000],
    );
    saveSafetensors(path, { w: small });
    small.dispose();
    const before = readFileSync(path);
    const r = runScript(
      `
      import { saveSafetensors } from "${dist("io/safetensors.js")}";
      import { zeros } from "${dist("torch/index.js")}";
      saveSafetensors(${JSON.stringify(path)}, { w: zeros([100000]) });
    `,
      { fileLimitKiB: LIMIT_KIB },
    );
    assertRefused(r, path);
    assert.match(r.stderr, /the previous file is unchanged/);
    assert.deepEqual(readFileSync(path), before, "the old file is byte for byte unchanged");
    const back = loadSafetensors(path);
    assert.equal(back.w.toFloat32Array()[999], 999);
    back.w.dispose();
    assert.deepEqual(leftovers(dir), [], "no temporary file is left");
  } finally {
    cleanup();
  }
});

test("PNG, .npy and JSON writes cut short fail naming the file and keep the old one", () => {
  const { dir, cleanup } = tempDir();
  try {
    const png = join(dir, "overlay.png");
    const npy = join(dir, "labels.npy");
    const json = join(dir, "predict.json");
    writePng(png, { width: 2, height: 1, channels: 1, data: Uint8Array.of(7, 9) });
    const t = tensor(Uint8Array.of(1, 2, 3), [3], "uint8");
    writeNpy(npy, t);
    t.dispose();
    writeFileAtomic(json, '{"ok":true}\n');
    const cases: [string, string][] = [
      [
        png,
        `import { writePng } from "${dist("io/png.js")}";
         const n = 300 * 300 * 3, data = new Uint8Array(n);
         let x = 2463534242;
         for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; data[i] = x >>> 24; } // noise
         writePng(${JSON.stringify(png)}, { width: 300, height: 300, channels: 3, data });`,
      ],
      [
        npy,
        `import { writeNpy } from "${dist("io/npy.js")}";
         import { zeros } from "${dist("torch/index.js")}";
         writeNpy(${JSON.stringify(npy)}, zeros([200, 200]));`,
      ],
      [
        json,
        `import { writeFileAtomic } from "${dist("io/atomic.js")}";
         writeFileAtomic(${JSON.stringify(json)}, "x".repeat(200000));`,
      ],
    ];
    for (const [file, script] of cases) {
      const before = readFileSync(file);
      const r = runScript(script, { fileLimitKiB: LIMIT_KIB });
      assertRefused(r, file);
      assert.deepEqual(readFileSync(file), before, `${file} is unchanged`);
    }
    assert.deepEqual(Array.from(readPng(png).data), [7, 9]);
    const back = readNpy(npy);
    assert.deepEqual(Array.from(back.toTypedArray() as Uint8Array), [1, 2, 3]);
    back.dispose();
    assert.deepEqual(leftovers(dir), []);
  } finally {
    cleanup();
  }
});

test("a checkpoint folder save cut short keeps the previous best/ and names the file, not the temp folder", () => {
  const { dir, cleanup } = tempDir();
  try {
    const best = join(dir, "best");
    writeDirAtomic(best, (tmp) => {
      const w = tensor(Float32Array.of(1, 2, 3), [3]);
      saveSafetensors(join(tmp, "model.safetensors"), { w });
      w.dispose();
      writeFileAtomic(join(tmp, "config.json"), '{"v":1}\n');
    });
    const before = readFileSync(join(best, "model.safetensors"));
    const r = runScript(
      `
      import { writeDirAtomic, writeFileAtomic } from "${dist("io/atomic.js")}";
      import { saveSafetensors } from "${dist("io/safetensors.js")}";
      import { zeros } from "${dist("torch/index.js")}";
      writeDirAtomic(${JSON.stringify(best)}, (tmp) => {
        writeFileAtomic(tmp + "/config.json", '{"v":2}\\n');
        saveSafetensors(tmp + "/model.safetensors", { w: zeros([100000]) });
      });
    `,
      { fileLimitKiB: LIMIT_KIB },
    );
    const msg = assertRefused(r, join(best, "model.safetensors"));
    assert.match(msg, /best is unchanged/);
    assert.doesNotMatch(msg, /\.tmp-\d+/, "the message names the real path, not the temporary one");
    assert.deepEqual(readFileSync(join(best, "model.safetensors")), before);
    assert.equal(readFileSync(join(best, "config.json"), "utf8"), '{"v":1}\n');
    assert.deepEqual(leftovers(dir), []);
  } finally {
    cleanup();
  }
});

test("a metrics line that cannot be appended in full is cut back off: the log never ends mid-line", () => {
  const { dir, cleanup } = tempDir();
  try {
    const log = join(dir, "metrics.jsonl");
    appendDurable(log, '{"epoch":1}\n');
    const r = runScript(
      `
      import { appendDurable } from "${dist("io/atomic.js")}";
      appendDurable(${JSON.stringify(log)}, JSON.stringify({ epoch: 2, pad: "x".repeat(100000) }) + "\\n");
    `,
      { fileLimitKiB: LIMIT_KIB },
    );
    assertRefused(r, log);
    assert.equal(readFileSync(log, "utf8"), '{"epoch":1}\n');
  } finally {
    cleanup();
  }
});

test("import under a file-size limit fails naming the output file, not the input or a hidden folder", () => {
  const { dir, cleanup } = tempDir();
  try {
    const input = join(dir, "in");
    const out = join(dir, "ds");
    // (8, 3, 32, 32) float32 = 96 KiB of images: more than the limit once written
    const shape = [8, 3, 32, 32];
    const n = shape.reduce((a, b) => a * b, 1);
    mkdirSync(input);
    const t = tensor(
      Float32Array.from({ length: n }, (_, i) => i % 7),
      shape,
    );
    writeNpy(join(input, "stacks.npy"), t);
    t.dispose();
    const r = runCli(["import", "--images", input, "--out", out], { fileLimitKiB: LIMIT_KIB });
    assertRefused(r, join(out, "images.npy"));
    assert.doesNotMatch(r.stderr, /partial-\d+/);
    assert.doesNotMatch(r.stderr, /stacks\.npy/, "the input is not blamed");
    assert.deepEqual(leftovers(dir), [], "the hidden build folder is removed");
  } finally {
    cleanup();
  }
});

test("predict under a file-size limit fails naming the overlay it could not write, and does not say 'written'", () => {
  const { dir, cleanup } = tempDir();
  try {
    const run = makeSegRun(join(dir, "run"));
    const input = join(dir, "scan.npy");
    let x = 2463534242;
    const noise = Float32Array.from({ length: 3 * 200 * 200 }, () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 2 ** 32;
    });
    const t = tensor(noise, [3, 200, 200]);
    writeNpy(input, t);
    t.dispose();
    const out = join(dir, "pred");
    const r = runCli(["predict", "--run", run, "--input", input, "--out", out, "--threads", "1"], {
      fileLimitKiB: LIMIT_KIB,
    });
    assertRefused(r, join(out, "scan_overlay.png"));
    assert.doesNotMatch(r.stdout, /written/);
    assert.deepEqual(leftovers(out), []);
  } finally {
    cleanup();
  }
});
