// The real images beside the project: Blood Cell Detection Dataset (Abdüssamet Aslan, MIT licence;
// shared/data/blood-cell-detection): 100 RGB(A) 256 x 256 peripheral-smear PNGs and annotations.csv
// with normalised boxes labelled rbc or wbc. It imports two ways:
//   - "pretrain": the images alone, RGB (the PNGs' constant alpha channel is dropped on reading);
//   - "segmentation": the same images with sparse labels drawn from the boxes.
//
// Box -> label mapping (classes BLOOD_CELL_CLASSES = [background, red blood cell, white blood cell]),
// box-rules.ts's centre-disc rule with 8 background dots per image:
//   - every rbc or wbc box gets a disc at its centre with the box's class: "red blood cell" or
//     "white blood cell". The disc at a red cell's centre covers its pale centre, so the class is the
//     whole cell, not hemoseg's default outer/inner red-cell pair. Radius: 12% of the box's shorter
//     side, 2 to 10 px (about 5 px for a red cell, 10 px for a white one).
//   - boxes shorter than MIN_BOX px on a side (cells cut by the image border) get no disc: their
//     centre need not lie on the cell. Disc pixels inside a box of the other class stay unlabelled,
//     so overlapping cells never get a label that may belong to the neighbour.
//   - background: BACKGROUND_DOTS dots of radius 2 per image, at seeded random places at least
//     BACKGROUND_MARGIN px outside every box (cut or not).
// Everything else is 255 (unlabelled). About 2-3% of pixels end up labelled, like the paper's.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readImageStack } from "../io/image-file.js";
import type { Tensor } from "../torch/index.js";
import { BACKGROUND_DOTS, shapeLabels } from "./box-rules.js";
import { type DatasetMeta, writeDataset } from "./dataset.js";
import { listImageFiles } from "./import.js";
import { mixSeed } from "./random.js";

export const BLOOD_CELL_CLASSES = ["background", "red blood cell", "white blood cell"];
const CLASS_OF: Record<string, number> = { rbc: 1, wbc: 2 };

export { BACKGROUND_DOTS, BACKGROUND_MARGIN, MIN_BOX } from "./box-rules.js";

/** A box in pixels, [x0, x1) x [y0, y1), and its class index. */
export interface CellBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  label: number;
}

/** annotations.csv as boxes in pixels per image file name. */
export function readBoxes(csvPath: string, width: number, height: number): Map<string, CellBox[]> {
  const lines = readFileSync(csvPath, "utf8").split(/\r?\n/);
  const head = lines[0].split(",").map((s) => s.trim());
  const col = (name: string) => {
    const i = head.indexOf(name);
    if (i < 0) throw new Error(`${csvPath}: no "${name}" column in the header (${head.join(",")})`);
    return i;
  };
  const [ci, cx0, cy0, cx1, cy1, cl] = ["image", "xmin", "ymin", "xmax", "ymax", "label"].map(col);
  const boxes = new Map<string, CellBox[]>();
  for (let n = 1; n < lines.length; n++) {
    if (lines[n].trim() === "") continue;
    const f = lines[n].split(",").map((s) => s.trim());
    const bad = (why: string): never => {
      throw new Error(`${csvPath}: line ${n + 1}: ${why}`);
    };
    const label = CLASS_OF[f[cl]];
    if (label === undefined) bad(`label "${f[cl]}" is neither rbc nor wbc`);
    const [x0, y0, x1, y1] = [cx0, cy0, cx1, cy1].map((i) => Number(f[i]));
    if (![x0, y0, x1, y1].every((v) => v >= 0 && v <= 1) || !(x0 < x1 && y0 < y1))
      bad(`box (${f[cx0]}, ${f[cy0]}, ${f[cx1]}, ${f[cy1]}) is not a normalised box`);
    const list = boxes.get(f[ci]) ?? [];
    list.push({ x0: x0 * width, y0: y0 * height, x1: x1 * width, y1: y1 * height, label });
    boxes.set(f[ci], list);
  }
  return boxes;
}

/** The sparse label mask (H, W) of one image from its boxes: box-rules.ts's centre discs. */
export function boxLabels(boxes: CellBox[], height: number, width: number, seed: number): Uint8Array {
  const shapes = boxes.map((b) => ({ kind: "box" as const, ...b }));
  return shapeLabels(shapes, height, width, seed, {
    rule: "centre-disc",
    background: 0,
    backgroundDots: BACKGROUND_DOTS,
  });
}

export interface BloodCellImportOptions {
  /** The blood-cell-detection folder (images/ and annotations.csv). */
  dir: string;
  out: string;
  kind: "pretrain" | "segmentation";
  /** Import only the first n images (natural name order). */
  limit?: number;
  seed?: number;
  overwrite?: boolean;
}

/** Imports the blood-cell images as a pretrain set or as a segmentation set with box labels. */
export function importBloodCells(opts: BloodCellImportOptions): DatasetMeta {
  const files = listImageFiles(join(opts.dir, "images")).slice(0, opts.limit);
  const seed = opts.seed ?? 0;
  const first = readRgb(files[0]);
  const [, H, W] = first.shape;
  first.dispose();
  const boxes = opts.kind === "segmentation" ? readBoxes(join(opts.dir, "annotations.csv"), W, H) : undefined;
  const labelled = boxes !== undefined;
  return writeDataset(
    opts.out,
    {
      kind: opts.kind,
      count: files.length,
      channels: 3,
      height: H,
      width: W,
      classes: labelled ? BLOOD_CELL_CLASSES : [],
      masks: labelled,
      seed,
      source: `blood-cell-detection (${opts.dir})${labelled ? ", sparse labels from the rbc/wbc boxes" : ""}`,
    },
    (w) => {
      files.forEach((file, i) => {
        const name = file.slice(file.lastIndexOf("/") + 1);
        const image = readRgb(file);
        try {
          const own = boxes?.get(name);
          if (boxes && !own) throw new Error(`${file}: no boxes in annotations.csv`);
          const mask = own && boxLabels(own, H, W, mixSeed(seed, i));
          w.append({ image, mask });
        } catch (e) {
          const msg = (e as Error).message;
          throw new Error(msg.includes(file) ? msg : `${file}: ${msg}`);
        } finally {
          image.dispose();
        }
      });
    },
    opts.overwrite,
    [opts.dir],
  );
}

/** An RGB image (3, H, W) as float32 0..255. */
function readRgb(file: string): Tensor {
  const img = readImageStack(file);
  try {
    if (img.shape[0] !== 3) throw new Error(`${file}: expected an RGB image, got shape [${img.shape}]`);
    return img.to("float32");
  } finally {
    img.dispose();
  }
}
