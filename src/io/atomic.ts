// Durable, atomic file writes: write a temporary file beside the target, check that every byte
// went out, fsync it, rename it over the target and fsync the folder, so a killed process or a
// full disk leaves either the old file or the new one, never half of one. A failed write names
// the file and the reason (disk full, file-size limit, permission) and leaves the old file as it
// was.
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

const REASONS: Record<string, string> = {
  ENOSPC: "no space left on the device (disk full)",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large (the file-size limit was reached)",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENAMETOOLONG: "file name too long",
  ENOENT: "no such folder",
  ENOTDIR: "a part of the path is not a folder",
  EISDIR: "it is a folder",
  EIO: "input/output error",
  ESHORT: "the device accepted none of the remaining bytes",
};

/** The code of a Node file-system error (ENOSPC, EFBIG, ...), or undefined for any other error. */
export function fsErrorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown })?.code;
  return typeof code === "string" && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/** "disk full (ENOSPC)"-style words for a file-system error; the message for anything else. */
export function describeFsError(e: unknown): string {
  const code = fsErrorCode(e);
  if (!code) return (e as Error)?.message ?? String(e);
  return `${REASONS[code] ?? (e as Error).message} (${code})`;
}

/** A write that failed: names the file meant to be written and why, keeps the system error code. */
export class WriteError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "WriteError";
  }
}

function failure(path: string, e: unknown, keptOld: boolean): WriteError {
  if (e instanceof WriteError) return e;
  const old = keptOld && existsSync(path) ? "; the previous file is unchanged" : "";
  return new WriteError(path, fsErrorCode(e) ?? "EIO", `${path}: not saved: ${describeFsError(e)}${old}`, {
    cause: e,
  });
}

/** Writes every byte of `bytes` at the file position, or throws: a short write is never ignored. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) {
    const n = writeSync(fd, bytes, done, bytes.length - done);
    if (n <= 0) throw Object.assign(new Error("short write"), { code: "ESHORT" });
    done += n;
  }
}

/** fsyncs a folder so a rename or a new entry in it survives a power cut. */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return; // some platforms cannot open folders; the rename itself has happened
  }
  try {
    fsyncSync(fd);
  } catch (e) {
    // file systems that cannot sync a folder say so with one of these; anything else is real
    if (!["EINVAL", "ENOTSUP", "EBADF", "EISDIR", "EPERM", "EACCES"].includes(fsErrorCode(e) ?? "")) throw e;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `path` through write(fd) into a temporary sibling, then fsyncs, renames and fsyncs the
 * folder. write should put its bytes with writeAll. Any file-system error becomes a WriteError
 * naming `path`; the temporary file is removed and an existing `path` is left untouched.
 */
export function writeAtomic(path: string, write: (fd: number) => void): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  let fd = -1;
  try {
    fd = openSync(tmp, "w");
    write(fd);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw fsErrorCode(e) ? failure(path, e, true) : e;
  }
  try {
    fsyncDir(dirname(path));
  } catch (e) {
    throw failure(path, e, false);
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  writeAtomic(path, (fd) => writeAll(fd, typeof data === "string" ? Buffer.from(data) : data));
}

/**
 * Replaces directory dir with one built by fill(tmpDir): the new tree is complete and synced before
 * it takes dir's name, and a crash mid-swap leaves dir.old, which readers fall back to (resolveDir).
 * A failure while filling (disk full, permission) removes the temporary tree, leaves dir as it was
 * and names the file that could not be written.
 */
export function writeDirAtomic(dir: string, fill: (tmpDir: string) => void): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  const old = `${dir}.old`;
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    fill(tmp);
    fsyncDir(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!(e instanceof WriteError) && !fsErrorCode(e)) throw e;
    const code = e instanceof WriteError ? e.code : (fsErrorCode(e) ?? "EIO");
    const why = e instanceof WriteError ? e.message : `${dir}: not saved: ${describeFsError(e)}`;
    const kept = existsSync(dir) || existsSync(old) ? `; ${dir} is unchanged` : "";
    throw new WriteError(dir, code, `${why.split(tmp).join(dir)}${kept}`, { cause: e });
  }
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  fsyncDir(dirname(dir));
  rmSync(old, { recursive: true, force: true });
}

/** dir if it exists, else the dir.old a crash in writeDirAtomic may have left, else null. */
export function resolveDir(dir: string): string | null {
  if (existsSync(dir)) return dir;
  return existsSync(`${dir}.old`) ? `${dir}.old` : null;
}

/**
 * Appends text to a log file durably: all bytes or none (a failed append is cut back off, so the
 * file never ends in half a line), then fsync.
 */
export function appendDurable(path: string, text: string): void {
  const bytes = Buffer.from(text);
  let fd = -1;
  let start = 0;
  try {
    fd = openSync(path, "a");
    start = fstatSync(fd).size;
    writeAll(fd, bytes);
    fsyncSync(fd);
  } catch (e) {
    if (fd >= 0) {
      try {
        ftruncateSync(fd, start);
      } catch {
        // keep the first error
      }
    }
    throw failure(path, e, false);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
