// Small datasets for the data tests, in fresh folders under the OS temp dir. Pixel values encode
// where they come from, so a test can tell from a value which stack, channel, row and column it is.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DatasetMeta, writeDataset } from "../../src/data/dataset.js";

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(prefix = "hemoseg-data-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Geometry {
  count: number;
  channels: number;
  height: number;
  width: number;
}

/** Pixel (s, c, y, x) holds its own flat index: ((s*C + c)*H + y)*W + x (exact in float32 here). */
export const coordValue = (g: Geometry, s: number, c: number, y: number, x: number): number =>
  ((s * g.channels + c) * g.height + y) * g.width + x;

/** The label of pixel (y, x): a function of the position only, over 5 classes with some unlabelled. */
export const coordLabel = (g: Geometry, y: number, x: number): number => {
  const v = (y * g.width + x) % 6;
  return v === 5 ? 255 : v;
};
/** The full mask: another function of position. */
export const coordFull = (_g: Geometry, y: number, x: number): number => (3 * y + x) % 5;

export const CLASSES = ["a", "b", "c", "d", "e"];

/** Writes a segmentation set whose pixels and labels encode their coordinates. */
export function coordDataset(out: string, g: Geometry, seed = 0): DatasetMeta {
  const { count, channels: C, height: H, width: W } = g;
  return writeDataset(
    out,
    { kind: "segmentation", ...g, classes: CLASSES, masks: true, fullMasks: true, seed },
    (w) => {
      for (let s = 0; s < count; s++) {
        const image = new Float32Array(C * H * W);
        for (let c = 0; c < C; c++)
          for (let y = 0; y < H; y++)
            for (let x = 0; x < W; x++) image[(c * H + y) * W + x] = coordValue(g, s, c, y, x);
        const mask = new Uint8Array(H * W);
        const fullMask = new Uint8Array(H * W);
        for (let y = 0; y < H; y++)
          for (let x = 0; x < W; x++) {
            mask[y * W + x] = coordLabel(g, y, x);
            fullMask[y * W + x] = coordFull(g, y, x);
          }
        w.append({ image, mask, fullMask });
      }
    },
  );
}
