// Run directories: one process at a time (a lock file with pid and host; stale locks of dead
// processes are taken over), an existing run is continued only with resume or replaced only
// with overwrite, resume needs a last/ checkpoint, and temporary folders of killed saves go.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Interrupted } from "../../src/train/interrupt.js";
import { PRETRAIN_DEFAULTS, pretrain } from "../../src/train/pretrain.js";
import { LOCK_FILE, openRunDir, readLock } from "../../src/train/run-dir.js";
import { dist, runScript, tempDir } from "./child.js";

const quiet = { log: () => {} };

test("a second process on a locked run directory is refused, naming the holder", () => {
  const { dir, cleanup } = tempDir();
  try {
    const run = openRunDir(join(dir, "run"), { ...quiet, command: "pretrain" });
    const lock = readLock(run.lockPath)!;
    assert.equal(lock.pid, process.pid);
    assert.equal(lock.host, hostname());
    const r = runScript(`
      import { openRunDir } from "${dist("train/run-dir.js")}";
      openRunDir(${JSON.stringify(join(dir, "run"))}, { command: "pretrain" });
    `);
    assert.notEqual(r.status, 0);
    assert.match(
      r.stderr,
      new RegExp(
        `${join(dir, "run")}: in use by process ${process.pid} \\(pretrain\\) since .*; two runs cannot share a directory`,
      ),
    );
    run.release();
    assert.ok(!existsSync(run.lockPath), "release removes the lock");
    // once released, another process may take it
    const r2 = runScript(`
      import { openRunDir } from "${dist("train/run-dir.js")}";
      openRunDir(${JSON.stringify(join(dir, "run"))}, {}).release();
    `);
    assert.equal(r2.status, 0, r2.stderr);
  } finally {
    cleanup();
  }
});

test("the lock of a process that died is detected as stale and taken over", () => {
  const { dir, cleanup } = tempDir();
  try {
    const run = join(dir, "run");
    mkdirSync(run);
    // a process that exited: its pid no longer runs
    const dead = runScript("console.log(process.pid)");
    const pid = Number(dead.stdout.trim());
    writeFileSync(join(run, LOCK_FILE), JSON.stringify({ pid, host: hostname(), started: "then" }));
    const notes: string[] = [];
    const h = openRunDir(run, { log: (m) => notes.push(m) });
    assert.equal(readLock(h.lockPath)!.pid, process.pid);
    assert.match(notes.join("\n"), new RegExp(`taking over the stale lock of process ${pid}`));
    h.release();
    // a live holder on another host cannot be checked: refused
    writeFileSync(join(run, LOCK_FILE), JSON.stringify({ pid: 1, host: "elsewhere", started: "now" }));
    assert.throws(() => openRunDir(run, quiet), /in use by process 1 on elsewhere/);
  } finally {
    cleanup();
  }
});

test("an existing run needs resume or overwrite; resume needs last/; stale temp folders are removed", () => {
  const { dir, cleanup } = tempDir();
  try {
    const run = join(dir, "run");
    mkdirSync(join(run, "best"), { recursive: true });
    writeFileSync(join(run, "run.json"), "{}");
    writeFileSync(join(run, "metrics.jsonl"), '{"epoch":23}\n');
    assert.throws(
      () => openRunDir(run, quiet),
      (e: Error) =>
        e.message ===
        `${run}: already holds a run (run.json, metrics.jsonl, best); pass --resume to continue it or --overwrite to replace it`,
    );
    assert.throws(
      () => openRunDir(run, { ...quiet, resume: true }),
      new RegExp(`^Error: ${run}: --resume, but there is no last/ checkpoint to continue from`),
    );
    assert.ok(!existsSync(join(run, LOCK_FILE)), "a refused open leaves no lock");
    // killed saves left these; a user file that merely looks similar stays
    mkdirSync(join(run, "last.tmp-999999"));
    mkdirSync(join(run, "best.tmp-999998"));
    writeFileSync(join(run, ".run.json.tmp-999997"), "{");
    writeFileSync(join(run, "notes-last.tmp.txt"), "mine");
    mkdirSync(join(run, "best.tmp-1")); // process 1 runs: not a stale folder
    mkdirSync(join(run, "eval-test"));
    mkdirSync(join(run, "last"));
    const h = openRunDir(run, { ...quiet, resume: true });
    assert.deepEqual(h.removed.sort(), [".run.json.tmp-999997", "best.tmp-999998", "last.tmp-999999"]);
    assert.deepEqual(
      readdirSync(run).sort(),
      [
        "best",
        "best.tmp-1",
        "eval-test",
        "last",
        "metrics.jsonl",
        "notes-last.tmp.txt",
        "run.json",
        LOCK_FILE,
      ].sort(),
    );
    h.release();
    const o = openRunDir(run, { ...quiet, overwrite: true });
    assert.deepEqual(
      readdirSync(run).sort(),
      ["best.tmp-1", "notes-last.tmp.txt", LOCK_FILE].sort(),
      "overwrite removes the old run and its evaluations only",
    );
    o.release();
    assert.equal(readFileSync(join(run, "notes-last.tmp.txt"), "utf8"), "mine");
  } finally {
    cleanup();
  }
});

test("pretrain with 0 epochs is refused before it writes anything", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = join(dir, "run");
    await assert.rejects(pretrain({ ...PRETRAIN_DEFAULTS, data: join(dir, "data"), out, epochs: 0 }), {
      message: `${out}: epochs must be a positive integer, got 0`,
    });
    assert.equal(existsSync(out), false);
  } finally {
    cleanup();
  }
});

test("an interrupted run names its last good checkpoint and exits as the shell expects", () => {
  const a = new Interrupted("SIGINT", "/runs/a", "/runs/a/last", 3);
  assert.equal(
    a.message,
    "interrupted by SIGINT: the last good checkpoint is /runs/a/last (after epoch 3); continue with the same command and --resume",
  );
  assert.equal(a.exitCode, 130);
  const b = new Interrupted("SIGTERM", "/runs/b", null, 0);
  assert.equal(
    b.message,
    "interrupted by SIGTERM before the first epoch finished: no checkpoint was written in /runs/b",
  );
  assert.equal(b.exitCode, 143);
});
