// Training runs through the real command line: an existing run is neither overwritten nor
// silently restarted, --resume needs a last/ checkpoint, a second process on a running run's
// directory is refused, and Ctrl-C (SIGINT) stops a run between steps with the last good
// checkpoint kept, named, and resumable; temporary folders of a killed save are removed at the
// next start.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readMetrics } from "../../src/train/metrics-log.js";
import { coordDataset } from "../data/make.js";
import { CLI, runCli, tempDir } from "./child.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until check() holds; fails after `limitMs` (a hang is a failure, not a slow pass). */
async function until(check: () => boolean, what: string, limitMs = 120_000): Promise<void> {
  for (let waited = 0; !check(); waited += 100) {
    if (waited > limitMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const pretrainArgs = (data: string, out: string, epochs: number) => [
  "pretrain",
  "--data",
  data,
  "--out",
  out,
  "--model",
  "model2",
  "--patch",
  "16",
  "--tile",
  "32",
  "--batch-tiles",
  "4",
  "--max-steps",
  "1",
  "--epochs",
  String(epochs),
  "--threads",
  "1",
];

test("pretrain runs: lock, refusal to overwrite, --resume without last/, Ctrl-C and resume", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const data = join(dir, "data");
    coordDataset(data, { count: 10, channels: 2, height: 32, width: 32 });
    const out = join(dir, "run");

    // --resume with nothing to resume is an error, and leaves nothing behind
    let r = runCli([...pretrainArgs(data, out, 1), "--resume"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--resume, but there is no last\/ checkpoint to continue from/);

    // a long run, stopped by Ctrl-C (SIGINT) once it has saved a checkpoint
    const child = spawn(process.execPath, [CLI, ...pretrainArgs(data, out, 1000)], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, HEMOSEG_DEBUG: "0" },
    });
    let stderr = "";
    child.stderr.on("data", (b) => {
      stderr += b;
    });
    const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
    await until(() => existsSync(join(out, "last", "trainer_state.json")), "the first checkpoint");

    // a second process on the same run directory is refused while the first holds it
    r = runCli([...pretrainArgs(data, out, 1000), "--resume"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`${out}: in use by process ${child.pid} \\(pretrain\\)`));

    child.kill("SIGINT");
    assert.equal(await exited, 130, stderr);
    const epochs = readMetrics(join(out, "metrics.jsonl")).length;
    assert.ok(epochs >= 1);
    assert.match(
      stderr,
      new RegExp(
        `interrupted by SIGINT: the last good checkpoint is ${join(out, "last")} \\(after epoch ${epochs}\\)`,
      ),
    );
    assert.match(stderr, new RegExp(`to resume: hemoseg pretrain --data ${data} --out ${out} .*--resume\n`));
    const state = JSON.parse(readFileSync(join(out, "last", "trainer_state.json"), "utf8"));
    assert.equal(state.epoch, epochs, "last/ holds the last finished epoch");
    assert.ok(!existsSync(join(out, "run.lock")), "the lock is released");

    // without --resume the existing run is refused, untouched
    r = runCli(pretrainArgs(data, out, 1));
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      new RegExp(`${out}: already holds a run .*pass --resume to continue it or --overwrite to replace it`),
    );
    assert.equal(readMetrics(join(out, "metrics.jsonl")).length, epochs);

    // a killed save's temporary folder goes at the next start; the resumed run continues the epochs
    mkdirSync(join(out, "last.tmp-999999"));
    r = runCli([...pretrainArgs(data, out, epochs + 1), "--resume"]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!existsSync(join(out, "last.tmp-999999")));
    const metrics = readMetrics(join(out, "metrics.jsonl"));
    assert.deepEqual(
      metrics.map((m) => m.epoch),
      Array.from({ length: epochs + 1 }, (_, i) => i + 1),
      "epochs continue, never restart at 1",
    );

    // --overwrite replaces it deliberately
    r = runCli([...pretrainArgs(data, out, 1), "--overwrite"]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      readMetrics(join(out, "metrics.jsonl")).map((m) => m.epoch),
      [1],
    );
  } finally {
    cleanup();
  }
});
