// Runs a segmenter over a dataset split and counts confusion on the sparse labels and, where the
// dataset has them, on the full ground-truth masks.
import type { Dataset } from "../data/dataset.js";
import { disposeBatch, TileLoader } from "../data/loader.js";
import { autocast, type Device, F, noGrad, scope, type Tensor } from "../torch/index.js";
import { ConfusionMatrix } from "./confusion.js";

export interface Segmenter {
  forward(pixelValues: Tensor): Tensor; // (B, classes, H, W)
  eval(): unknown;
}

export interface EvalResult {
  /** Cross entropy over labelled pixels (ignore index skipped), mean per labelled pixel. */
  loss: number;
  sparse: ConfusionMatrix;
  full?: ConfusionMatrix;
}

export async function evaluateSegmenter(
  model: Segmenter,
  ds: Dataset,
  o: {
    split: "train" | "val" | "test";
    /** Side of the tiles the model takes, cut from the stacks on tiles.ts's grid (default: the stack side). */
    tile?: number;
    device?: Device;
    batchSize?: number;
    bf16?: boolean;
  },
): Promise<EvalResult> {
  const K = ds.meta.classes.length;
  const device = o.device ?? "cpu";
  const loader = new TileLoader(ds, {
    split: o.split,
    tile: o.tile ?? ds.meta.height,
    batchSize: o.batchSize ?? 32,
  });
  const sparse = new ConfusionMatrix(K, ds.meta.ignoreIndex);
  const full = ds.files.fullMasks ? new ConfusionMatrix(K, ds.meta.ignoreIndex) : undefined;
  let lossSum = 0;
  let labelled = 0;
  model.eval();
  try {
    for await (const b of loader.epoch(0)) {
      scope(() =>
        noGrad(() => {
          const x = device === "cpu" ? b.images : b.images.to(device);
          const logits = (o.bf16 ? autocast(device, () => model.forward(x)) : model.forward(x)).float();
          const pred = logits.argmax(1); // (B, H, W)
          if (b.masks) {
            const m = b.masks.to(device);
            const n = m.ne(ds.meta.ignoreIndex).sum().item();
            if (n > 0) {
              lossSum += F.crossEntropy(logits, m, {
                ignoreIndex: ds.meta.ignoreIndex,
                reduction: "sum",
              }).item();
              labelled += n;
            }
            sparse.add(pred, m);
          }
          if (full && b.fullMasks) full.add(pred, b.fullMasks.to(device));
        }),
      );
      disposeBatch(b);
    }
  } finally {
    await loader.close();
  }
  return { loss: labelled ? lossSum / labelled : Number.NaN, sparse, full };
}
