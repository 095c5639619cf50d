// The loader's worker thread: builds whole batches (read, flip, normalise) into buffers the main
// thread lent it, then hands them back by transfer, so they move without a copy.
import { parentPort, workerData } from "node:worker_threads";
import { TileReader, type TileSource } from "./tile-reader.js";

/** A batch request: tiles as (stack, row, col) triples, a flip code per tile, and the buffers. */
export interface BatchJob {
  id: number;
  refs: Int32Array; // (B, 3)
  flips: Uint8Array; // (B)
  images: ArrayBuffer; // at least B*C*T*T float32
  masks?: ArrayBuffer; // at least B*T*T int64
  fullMasks?: ArrayBuffer;
}

export interface BatchDone {
  id: number;
  images: ArrayBuffer;
  masks?: ArrayBuffer;
  fullMasks?: ArrayBuffer;
  error?: string;
}

const src = workerData as TileSource;
const reader = new TileReader(src);
const port = parentPort!;
const tileSize = src.channels * src.tile * src.tile;
const maskSize = src.tile * src.tile;

port.on("message", (job: BatchJob) => {
  const done: BatchDone = { id: job.id, images: job.images, masks: job.masks, fullMasks: job.fullMasks };
  try {
    const images = new Float32Array(job.images);
    const masks = job.masks && new Int32Array(job.masks);
    const fullMasks = job.fullMasks && new Int32Array(job.fullMasks);
    for (let b = 0; b < job.flips.length; b++) {
      const [s, r, c] = job.refs.subarray(3 * b, 3 * b + 3);
      const f = job.flips[b];
      reader.readImage(s, r, c, f, images, b * tileSize);
      if (masks) reader.readMask("masks", s, r, c, f, masks, b * maskSize);
      if (fullMasks) reader.readMask("fullMasks", s, r, c, f, fullMasks, b * maskSize);
    }
  } catch (e) {
    done.error = (e as Error).message;
  }
  const transfer = [done.images, done.masks, done.fullMasks].filter((x): x is ArrayBuffer => x !== undefined);
  port.postMessage(done, transfer);
});
