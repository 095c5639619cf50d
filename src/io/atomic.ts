// Atomic file writes: write a temporary file beside the target, fsync, then rename over it,
// so a killed process leaves either the old file or the new one, never half of one.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
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
