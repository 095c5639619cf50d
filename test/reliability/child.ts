// Runs hemoseg code or its CLI in a child process, optionally under a file-size limit
// (`ulimit -f`, as when a disk fills mid-write), for the reliability tests.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "../helpers.js";

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The file URL of a compiled module, for imports in child scripts: dist("io/npy.js"). */
export const dist = (rel: string): string => pathToFileURL(join(ROOT, "dist", "src", rel)).href;

export const CLI = join(ROOT, "dist", "src", "cli", "main.js");

const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** Runs node with args, under a file-size limit of `fileLimitKiB` KiB when given. */
export function runNode(
  args: string[],
  o: { fileLimitKiB?: number; env?: NodeJS.ProcessEnv } = {},
): ChildResult {
  const limit = o.fileLimitKiB === undefined ? "" : `ulimit -f ${o.fileLimitKiB}; `;
  const cmd = `${limit}exec ${[process.execPath, ...args].map(q).join(" ")}`;
  const r = spawnSync("bash", ["-c", cmd], {
    encoding: "utf8",
    env: { ...process.env, HEMOSEG_DEBUG: "0", ...o.env },
    timeout: 120_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Runs an ES-module script (which may import dist(...) modules) in a child node. */
export function runScript(
  script: string,
  o: { fileLimitKiB?: number; env?: NodeJS.ProcessEnv } = {},
): ChildResult {
  return runNode(["--input-type=module", "-e", script], o);
}

/** Runs the hemoseg CLI. */
export function runCli(
  args: string[],
  o: { fileLimitKiB?: number; env?: NodeJS.ProcessEnv } = {},
): ChildResult {
  return runNode([CLI, ...args], o);
}

/** A fresh temp folder and its cleanup. */
export function tempDir(prefix = "hemoseg-rel-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Names in dir that look like temporary files or folders of an interrupted write. */
export const leftovers = (dir: string): string[] =>
  readdirSync(dir).filter((f) => /\.tmp-\d+$|\.partial-\d+$|\.old$/.test(f));
