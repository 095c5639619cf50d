// Helpers over async batch streams.
import type { TileBatch } from "../data/loader.js";

/** Yields at most max batches of an epoch (all when max is 0); stopping early ends the epoch's reads. */
export async function* capped(batches: AsyncIterable<TileBatch>, max: number): AsyncGenerator<TileBatch> {
  let n = 0;
  for await (const b of batches) {
    yield b;
    if (max && ++n >= max) return;
  }
}
