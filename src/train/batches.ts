// Helpers over async batch streams.
import { disposeBatch, type TileBatch } from "../data/loader.js";
import { type optim, scope, type Tensor } from "../torch/index.js";
import type { StepResult } from "./trainer.js";

/** Yields at most max batches of an epoch (all when max is 0); stopping early ends the epoch's reads. */
export async function* capped(batches: AsyncIterable<TileBatch>, max: number): AsyncGenerator<TileBatch> {
  let n = 0;
  for await (const b of batches) {
    yield b;
    if (max && ++n >= max) return;
  }
}

/** A training step on tile batches: zero grads, loss, backward, optimiser step; frees the batch. */
export function optimiserStep(
  opt: optim.Adam,
  lossOf: (b: TileBatch) => Tensor,
): (b: TileBatch) => StepResult {
  return (b) =>
    scope(() => {
      opt.zeroGrad();
      const loss = lossOf(b);
      loss.backward();
      opt.step();
      const r = { loss: loss.item(), n: b.indices.length };
      disposeBatch(b);
      return r;
    });
}
