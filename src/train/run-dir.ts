// A run directory is owned by one training process at a time. Opening one for training checks
// what is there (an existing run is only continued with resume, or replaced with overwrite),
// takes a lock file naming the holder (pid, host), detects stale locks of dead processes, and
// removes the temporary folders of saves that a killed process left behind.
// With data-parallel training only rank 0 holds the run directory: the other ranks pass
// holder: false to inRunDir (they neither check, lock nor clean, and write nothing there).
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
} from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { describeFsError, resolveDir, writeAll } from "../io/atomic.js";

export const LOCK_FILE = "run.lock";

/** Entries a training run writes; --overwrite removes exactly these (and the evaluations below). */
const RUN_ENTRIES = ["run.json", "metrics.jsonl", "test.json", "best", "last", "best.old", "last.old"];

/** Results of `hemoseg evaluate` on the run (eval-test/...): stale once the run is replaced. */
const EVAL_DIR = /^eval-(train|val|test)$/;

/** Temporary folders and files of an interrupted atomic save: best.tmp-123, .run.json.tmp-123. */
const STALE_TEMP = /^(best|last)\.tmp-(\d+)$|^\..+\.tmp-(\d+)$/;

export interface LockInfo {
  pid: number;
  host: string;
  started: string;
  command?: string;
}

export interface OpenRunOptions {
  /** Continue the run in dir from its last/ checkpoint (which must exist). */
  resume?: boolean;
  /** Replace a run already in dir. */
  overwrite?: boolean;
  /** Words for messages: "pretrain", "finetune". */
  command?: string;
  /** Where notes go (stale temp folders removed, stale lock taken over); default stderr. */
  log?: (msg: string) => void;
}

/** A run directory held by this process; release() (or process exit) frees it. */
export interface RunDir {
  dir: string;
  lockPath: string;
  /** Stale temporary entries removed when the run opened. */
  removed: string[];
  release(): void;
}

/** Whether process pid is alive on this host. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM"; // exists, owned by someone else
  }
}

export function readLock(path: string): LockInfo | null {
  try {
    const v = JSON.parse(readFileSync(path, "utf8")) as LockInfo;
    return Number.isInteger(v.pid) && typeof v.host === "string" ? v : null;
  } catch {
    return null;
  }
}

/** Whether dir holds any entry of a training run. */
export function holdsRun(dir: string): boolean {
  return existsSync(dir) && RUN_ENTRIES.some((e) => existsSync(join(dir, e)));
}

/** Creates the lock file atomically (complete content or nothing) and exclusively. */
function tryLock(lockPath: string, info: LockInfo): boolean {
  const tmp = join(dirname(lockPath), `.${LOCK_FILE}.tmp-${process.pid}`);
  const fd = openSync(tmp, "w");
  try {
    writeAll(fd, Buffer.from(`${JSON.stringify(info)}\n`));
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, lockPath); // fails with EEXIST when another process holds the lock
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === "EEXIST") return false;
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

function acquire(dir: string, command: string | undefined, log: (m: string) => void): string {
  const lockPath = join(dir, LOCK_FILE);
  const me: LockInfo = {
    pid: process.pid,
    host: hostname(),
    started: new Date().toISOString(),
    ...(command ? { command } : {}),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryLock(lockPath, me)) return lockPath;
    const holder = readLock(lockPath);
    if (holder && holder.host === me.host && !alive(holder.pid)) {
      log(`${dir}: taking over the stale lock of process ${holder.pid} (no longer running)`);
      rmSync(lockPath, { force: true });
      continue;
    }
    if (!holder) {
      throw new Error(
        `${dir}: locked by ${lockPath}, which cannot be read; if no process is training here, delete it`,
      );
    }
    const other =
      holder.host === me.host ? `process ${holder.pid}` : `process ${holder.pid} on ${holder.host}`;
    throw new Error(
      `${dir}: in use by ${other}${holder.command ? ` (${holder.command})` : ""} since ${holder.started}; ` +
        `two runs cannot share a directory (if that process is gone, delete ${lockPath})`,
    );
  }
  throw new Error(`${dir}: could not take the lock ${lockPath}`);
}

/** Removes the temporary entries that saves of processes no longer running left behind. */
function removeStaleTemps(dir: string, log: (m: string) => void): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = STALE_TEMP.exec(name);
    const pid = m ? Number(m[2] ?? m[3]) : 0;
    if (!m || pid === process.pid || alive(pid)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  if (removed.length) log(`${dir}: removed ${removed.join(", ")} left by an interrupted save`);
  return removed;
}

/**
 * Opens dir for a training run: refuses an existing run unless resume (which needs last/) or
 * overwrite is set, takes the lock, removes stale temporary folders, and with overwrite removes
 * the previous run's files. Throws a message naming dir and what to do.
 */
export function openRunDir(dir: string, o: OpenRunOptions = {}): RunDir {
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  if (o.resume && o.overwrite) throw new Error(`${dir}: resume and overwrite exclude each other`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new Error(`${dir}: cannot create the run directory: ${describeFsError(e)}`);
  }
  let lockPath: string;
  try {
    lockPath = acquire(dir, o.command, log);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code) throw new Error(`${dir}: cannot write in the run directory: ${describeFsError(e)}`);
    throw e;
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener("exit", release);
    if (readLock(lockPath)?.pid === process.pid) {
      try {
        unlinkSync(lockPath);
      } catch {
        // already gone
      }
    }
  };
  process.on("exit", release);
  try {
    const removed = removeStaleTemps(dir, log);
    if (o.resume) {
      if (!resolveDir(join(dir, "last")))
        throw new Error(
          `${dir}: --resume, but there is no last/ checkpoint to continue from ` +
            "(start without --resume, or pass --overwrite to replace what is there)",
        );
    } else if (holdsRun(dir)) {
      if (!o.overwrite)
        throw new Error(
          `${dir}: already holds a run (${RUN_ENTRIES.filter((e) => existsSync(join(dir, e))).join(", ")}); ` +
            "pass --resume to continue it or --overwrite to replace it",
        );
      for (const e of RUN_ENTRIES) rmSync(join(dir, e), { recursive: true, force: true });
      for (const e of readdirSync(dir))
        if (EVAL_DIR.test(e)) rmSync(join(dir, e), { recursive: true, force: true });
    }
    return { dir, lockPath, removed, release };
  } catch (e) {
    release();
    throw e;
  }
}

/**
 * Runs fn with dir held as openRunDir holds it, and releases it after (also when fn throws).
 * holder: false (a data-parallel rank other than 0) runs fn without checks or lock: rank 0
 * holds the directory for all.
 */
export async function inRunDir<T>(
  dir: string,
  o: OpenRunOptions & { holder?: boolean },
  fn: () => Promise<T>,
): Promise<T> {
  if (o.holder === false) return fn();
  const run = openRunDir(dir, o);
  try {
    return await fn();
  } finally {
    run.release();
  }
}

/** Refuses an epoch count that trains nothing (no checkpoint would be written). */
export function checkEpochs(epochs: number, dir: string): void {
  if (!(Number.isInteger(epochs) && epochs >= 1))
    throw new Error(`${dir}: epochs must be a positive integer, got ${epochs}`);
}
