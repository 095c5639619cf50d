// Atomic file writes: write a temporary file beside the target, fsync, then rename over it,
// so a killed process leaves either the old file or the new one, never half of one.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

export function writeAtomic(path: string, write: (fd: number) => void): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  const fd = openSync(tmp, "w");
  try {
    write(fd);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  writeAtomic(path, (fd) => {
    writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
  });
}

/**
 * Replaces directory dir with one built by fill(tmpDir): the new tree is complete before it takes
 * dir's name, and a crash mid-swap leaves dir.old, which readers fall back to (resolveDir).
 */
export function writeDirAtomic(dir: string, fill: (tmpDir: string) => void): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  const old = `${dir}.old`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    fill(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/** dir if it exists, else the dir.old a crash in writeDirAtomic may have left, else null. */
export function resolveDir(dir: string): string | null {
  if (existsSync(dir)) return dir;
  return existsSync(`${dir}.old`) ? `${dir}.old` : null;
}
