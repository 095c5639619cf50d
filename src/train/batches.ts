// Helpers over async batch streams.
import { disposeBatch, type TileBatch } from "../data/loader.js";
import type { Tensor } from "../torch/index.js";
import type { BatchTask } from "./trainer.js";

/** Yields at most max batches of an epoch (all when max is 0); stopping early ends the epoch's reads. */
export async function* capped(batches: AsyncIterable<TileBatch>, max: number): AsyncGenerator<TileBatch> {
  let n = 0;
  for await (const b of batches) {
    yield b;
    if (max && ++n >= max) return;
  }
}

/** The training loop's view of tile batches: their loss by lossOf, their tile count, disposal. */
export function tileTask(lossOf: (b: TileBatch) => Tensor): BatchTask<TileBatch> {
  return { loss: lossOf, size: (b) => b.indices.length, release: disposeBatch };
}
