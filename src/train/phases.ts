// Wall-clock phase timers for the training loop's profile (hemoseg bench epoch --profile): where an
// epoch's time goes (data wait, forward, backward, optimiser, loss read-back, validation, checkpoints).
// libtorch on CPU runs eagerly and synchronously, so each phase's time is its own compute.

export class PhaseTimer {
  readonly ms = new Map<string, number>();
  readonly counts = new Map<string, number>();

  add(name: string, ms: number): void {
    this.ms.set(name, (this.ms.get(name) ?? 0) + ms);
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }

  time<T>(name: string, fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.add(name, performance.now() - t0);
    }
  }

  async timeAsync<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.add(name, performance.now() - t0);
    }
  }

  /** Each phase's total seconds and share of `total` (default: the sum of the phases). */
  report(total?: string): Record<string, { s: number; share: number; calls: number }> {
    const sum = total ? (this.ms.get(total) ?? 0) : [...this.ms.values()].reduce((a, b) => a + b, 0);
    const out: Record<string, { s: number; share: number; calls: number }> = {};
    for (const [k, v] of this.ms)
      out[k] = { s: +(v / 1000).toFixed(3), share: +(v / sum).toFixed(3), calls: this.counts.get(k) ?? 0 };
    return out;
  }
}

/** The batches of `it`, with the time spent waiting for each added to `timer` as "data". */
export async function* timedBatches<B>(it: AsyncIterable<B>, timer: PhaseTimer): AsyncGenerator<B> {
  const iter = it[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      const t0 = performance.now();
      const r = await iter.next();
      timer.add("data", performance.now() - t0);
      if (r.done) {
        done = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (!done) await iter.return?.();
  }
}
