// Local launcher, like `torchrun --standalone --nproc-per-node N`: N child processes with
// torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT)
// on a free port of 127.0.0.1. SIGTERM and SIGHUP are forwarded (Ctrl-C reaches the workers from
// the terminal itself); when one worker fails, the others are stopped and the launch fails.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";

export interface LaunchOptions {
  nproc: number;
  /** Executable and arguments of every worker (e.g. process.execPath and a script). */
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  masterPort?: number;
  /** Time the others get to exit after SIGTERM before SIGKILL (default 10 s). */
  graceMs?: number;
  /** Where the launcher's own messages go (default stderr). */
  log?: (line: string) => void;
}

export interface LaunchResult {
  /** 0 when every worker exited 0; otherwise the first failure's exit code (128 + signal). */
  code: number;
  /** The rank that failed first, if any. */
  failedRank?: number;
  codes: (number | null)[];
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
const signalCode = (sig: NodeJS.Signals | null): number =>
  sig ? 128 + ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[sig] || 129 : 1;

export async function launchLocal(o: LaunchOptions): Promise<LaunchResult> {
  if (!Number.isInteger(o.nproc) || o.nproc < 1)
    throw new Error(`--nproc must be a positive integer, not ${o.nproc}`);
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const port = o.masterPort ?? (await freePort());
  const base = { ...process.env, ...o.env };
  // Like torchrun: one intra-op thread share per worker unless the user chose.
  const threads = String(Math.max(1, Math.floor(availableParallelism() / o.nproc)));
  const children: ChildProcess[] = [];
  const codes: (number | null)[] = new Array(o.nproc).fill(null);
  let failedRank: number | undefined;
  let failCode = 0;
  let stopping = false;
  let killTimer: NodeJS.Timeout | undefined;

  const stopAll = (sig: NodeJS.Signals) => {
    for (const [r, c] of children.entries()) if (codes[r] === null && c.exitCode === null) c.kill(sig);
  };
  const stopOthers = () => {
    if (stopping) return;
    stopping = true;
    stopAll("SIGTERM");
    killTimer = setTimeout(() => stopAll("SIGKILL"), o.graceMs ?? 10_000);
    killTimer.unref();
  };
  // SIGTERM and SIGHUP are passed on to the workers. SIGINT is not: Ctrl-C reaches every process
  // of the terminal's foreground group, the workers included, and a second SIGINT would make them
  // stop at once instead of after their current step (a second Ctrl-C still does).
  const forward = (sig: NodeJS.Signals) => {
    stopping = true;
    if (sig !== "SIGINT") stopAll(sig);
  };
  for (const s of SIGNALS) process.on(s, forward);

  try {
    const exits = Array.from({ length: o.nproc }, (_, rank) => {
      const env = {
        OMP_NUM_THREADS: threads,
        ...base,
        RANK: String(rank),
        LOCAL_RANK: String(rank),
        GROUP_RANK: "0",
        WORLD_SIZE: String(o.nproc),
        LOCAL_WORLD_SIZE: String(o.nproc),
        MASTER_ADDR: "127.0.0.1",
        MASTER_PORT: String(port),
      };
      const child = spawn(o.command, o.args, { env, stdio: "inherit" });
      children.push(child);
      return new Promise<void>((resolve) => {
        child.once("error", (e) => {
          log(`launch: rank ${rank} could not start: ${e.message}`);
          codes[rank] = 127;
          if (failedRank === undefined) [failedRank, failCode] = [rank, 127];
          stopOthers();
          resolve();
        });
        child.once("exit", (code, sig) => {
          codes[rank] = code ?? signalCode(sig);
          if (codes[rank] !== 0 && failedRank === undefined && !stopping) {
            failedRank = rank;
            failCode = codes[rank]!;
            log(
              `launch: rank ${rank} ${sig ? `was killed by ${sig}` : `exited with code ${code}`}; stopping the other ${o.nproc - 1} rank(s)`,
            );
            stopOthers();
          }
          resolve();
        });
      });
    });
    await Promise.all(exits);
  } finally {
    for (const s of SIGNALS) process.off(s, forward);
    if (killTimer) clearTimeout(killTimer);
  }
  if (failedRank === undefined) {
    const bad = codes.findIndex((c) => c !== 0);
    if (bad >= 0) return { code: codes[bad] ?? 1, failedRank: bad, codes };
  }
  return { code: failedRank === undefined ? 0 : failCode || 1, failedRank, codes };
}
