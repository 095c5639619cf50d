// Ctrl-C and SIGTERM during training: the step in progress finishes, nothing half-written is
// kept (checkpoints are only replaced atomically), and the run stops with an Interrupted error
// that says where the last good checkpoint is. A second signal exits at once.

/** Training stopped by a signal; `checkpoint` is the last complete last/ (null if none yet). */
export class Interrupted extends Error {
  constructor(
    readonly signal: NodeJS.Signals,
    readonly runDir: string,
    readonly checkpoint: string | null,
    readonly epoch: number,
  ) {
    super(
      checkpoint
        ? `interrupted by ${signal}: the last good checkpoint is ${checkpoint} (after epoch ${epoch}); ` +
            "continue with the same command and --resume"
        : `interrupted by ${signal} before the first epoch finished: no checkpoint was written in ${runDir}`,
    );
    this.name = "Interrupted";
  }

  /** The exit status a shell expects after this signal (130 for SIGINT, 143 for SIGTERM). */
  get exitCode(): number {
    return this.signal === "SIGINT" ? 130 : 143;
  }
}

export interface StopWatch {
  /** The signal received, or null. */
  readonly requested: NodeJS.Signals | null;
  dispose(): void;
}

/**
 * Listens for SIGINT and SIGTERM until disposed: the first is recorded for the training loop to
 * act on between steps; a second one exits immediately with the signal's status.
 */
export function watchStopSignals(onFirst?: (s: NodeJS.Signals) => void): StopWatch {
  let requested: NodeJS.Signals | null = null;
  const handler = (s: NodeJS.Signals) => {
    if (requested) {
      process.stderr.write(`\n${s} again: stopping now\n`);
      process.exit(s === "SIGINT" ? 130 : 143);
    }
    requested = s;
    onFirst?.(s);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    get requested() {
      return requested;
    },
    dispose() {
      process.removeListener("SIGINT", handler);
      process.removeListener("SIGTERM", handler);
    },
  };
}

/** Lets pending signal handlers run (they need a turn of the event loop, not just microtasks). */
export const yieldToEvents = (): Promise<void> => new Promise((r) => setImmediate(r));
