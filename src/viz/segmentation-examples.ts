// Segmentation examples for the report: test tiles as rows of input in false colour | sparse labels
// | full ground truth | each model's prediction, drawn as one captioned PNG grid.
import { type Dataset, openDataset } from "../data/dataset.js";
import { normaliseChannels } from "../eval/predict.js";
import { defaultPick } from "../synth/colour.js";
import { noGrad, scope, stack, type Tensor } from "../torch/index.js";
import { loadSegmenter, readRunInfo } from "../train/run-info.js";
import { classPalette, falseColour, labelsToRgb, overlay, type Rgb } from "./colours.js";
import { type Panel, panelGrid } from "./render.js";

export interface ExampleRow {
  /** (C, S, S) raw pixel values. */
  image: Float32Array;
  /** (S, S) sparse labels, 255 = unlabelled. */
  sparse: Uint8Array;
  /** (S, S) dense ground truth, when the dataset has it. */
  full?: Uint8Array;
  /** (S, S) one label map per model, in the order of the model names. */
  predictions: Uint8Array[];
  /** Names the tile in the first caption, e.g. "tile 17". */
  label: string;
}

export interface ExampleGridOptions {
  channels: number;
  size: number;
  /** False-colour channels (red, green, blue). */
  rgb: [number, number, number];
  modelNames: string[];
  /** Number of classes (palette size). */
  classes: number;
  /** Pixel magnification; default makes a tile at least 128 pixels wide. */
  scale?: number;
}

/** False-colour channels for C channels: spread over the spectrum, or the image's own RGB. */
export function exampleChannels(C: number): [number, number, number] {
  if (C >= 4) return defaultPick(C);
  return [0, Math.min(1, C - 1), Math.min(2, C - 1)];
}

/** Sparse labels drawn solid over the input in dim grey, so the few labelled pixels stand out in context. */
function sparseOverInput(input: Uint8Array, sparse: Uint8Array, palette: readonly Rgb[]): Uint8Array {
  const grey = new Uint8Array(input.length);
  for (let i = 0; i < input.length; i += 3) {
    const l = Math.round(0.4 * (0.299 * input[i] + 0.587 * input[i + 1] + 0.114 * input[i + 2]));
    grey.fill(l, i, i + 3);
  }
  return overlay(grey, sparse, palette, 1);
}

/** The grid: one row per tile, columns input | sparse | (full) | one per model. */
export function examplesGrid(rows: ExampleRow[], o: ExampleGridOptions): Buffer {
  const { channels: C, size: S } = o;
  const palette = classPalette(o.classes);
  const scale = o.scale ?? Math.max(1, Math.ceil(128 / S));
  const grid: Panel[][] = rows.map((r, i) => {
    if (r.image.length !== C * S * S)
      throw new Error(`examplesGrid: row ${i} image is not ${C} x ${S} x ${S}`);
    if (r.predictions.length !== o.modelNames.length)
      throw new Error(
        `examplesGrid: row ${i} has ${r.predictions.length} predictions for ${o.modelNames.length} models`,
      );
    const input = falseColour(r.image, C, S, S, o.rgb);
    const panel = (rgb: Uint8Array, caption: string): Panel => ({ rgb, width: S, height: S, caption });
    return [
      panel(input, `${r.label} input`),
      panel(sparseOverInput(input, r.sparse, palette), "sparse labels"),
      ...(r.full ? [panel(labelsToRgb(r.full, palette), "ground truth")] : []),
      ...r.predictions.map((p, k) => panel(labelsToRgb(p, palette), o.modelNames[k])),
    ];
  });
  return panelGrid(grid, { scale, gap: 8 }).toPng();
}

/**
 * Test tiles to show: the `count` with the most classes in their ground truth (full masks where
 * present, else sparse labels), ties by index, returned in index order.
 */
export function pickTestTiles(ds: Dataset, count: number): number[] {
  const test = ds.meta.split.test;
  if (test.length === 0) throw new Error(`${ds.dir}: the test split is empty`);
  const masks = ds.fullMasks ?? ds.masks;
  if (!masks) throw new Error(`${ds.dir}: has no masks, so no segmentation examples`);
  const K = ds.meta.classes.length;
  const ranked = test.map((i) => {
    const m = scope(() => masks.select(0, i).toTypedArray()) as Uint8Array;
    const seen = new Uint8Array(K);
    for (const v of m) if (v < K) seen[v] = 1;
    return { i, classes: seen.reduce((a, b) => a + b, 0) };
  });
  ranked.sort((a, b) => b.classes - a.classes || a.i - b.i);
  return ranked
    .slice(0, count)
    .map((r) => r.i)
    .sort((a, b) => a - b);
}

export interface SegmentationExamples {
  png: Buffer;
  dataset: string;
  classes: string[];
  tiles: number[];
  hasFull: boolean;
}

/**
 * Loads each run's best checkpoint, predicts `count` test tiles of their shared dataset and draws
 * the grid. Every run must have trained on `data` (same channels, tile size and classes).
 */
export function segmentationExamples(
  runs: { name: string; dir: string }[],
  o: { data: string; count: number; device?: "cpu" | "cuda"; rgb?: [number, number, number] },
): SegmentationExamples {
  if (runs.length === 0) throw new Error("segmentationExamples: no runs");
  const device = o.device ?? "cpu";
  const ds = openDataset(o.data);
  try {
    const { channels: C, height: S, classes } = ds.meta;
    if (!ds.masks) throw new Error(`${o.data}: not a segmentation dataset (no masks.npy)`);
    const tiles = pickTestTiles(ds, o.count);
    const raw = tiles.map((i) => scope(() => ds.images.select(0, i).toFloat32Array()));
    const masksOf = (t: Tensor) => tiles.map((i) => scope(() => t.select(0, i).toTypedArray()) as Uint8Array);
    const sparse = masksOf(ds.masks);
    const full = ds.fullMasks && masksOf(ds.fullMasks);
    const predictions = runs.map((r) => predictTiles(r.dir, ds, tiles, device));
    const rows: ExampleRow[] = tiles.map((t, k) => ({
      image: raw[k],
      sparse: sparse[k],
      full: full?.[k],
      predictions: predictions.map((p) => p[k]),
      label: `tile ${t}`,
    }));
    const png = examplesGrid(rows, {
      channels: C,
      size: S,
      rgb: o.rgb ?? exampleChannels(C),
      modelNames: runs.map((r) => r.name),
      classes: classes.length,
    });
    return { png, dataset: o.data, classes, tiles, hasFull: !!full };
  } finally {
    ds.close();
  }
}

const BATCH = 16;

/** One label map (S*S) per tile from runDir's best model, inputs normalised with the run's statistics. */
function predictTiles(runDir: string, ds: Dataset, tiles: number[], device: "cpu" | "cuda"): Uint8Array[] {
  const info = readRunInfo(runDir);
  const { channels: C, height: S, classes } = ds.meta;
  if (info.channels !== C || info.tile !== S || info.classes.length !== classes.length) {
    throw new Error(
      `${runDir}: trained on ${info.channels} channels, ${info.tile} px tiles, ${info.classes.length} classes; ${ds.dir} has ${C}, ${S}, ${classes.length}`,
    );
  }
  const model = loadSegmenter(runDir).to(device);
  try {
    model.eval();
    const out: Uint8Array[] = [];
    for (let i = 0; i < tiles.length; i += BATCH) {
      scope(() =>
        noGrad(() => {
          const group = tiles.slice(i, i + BATCH);
          const raw = stack(group.map((t) => ds.images.select(0, t))); // (B, C, S, S)
          const x = normaliseChannels(raw, info.stats.mean, info.stats.std).to(device);
          const pred = model.forward(x).argmax(1).to("uint8").to("cpu"); // (B, S, S)
          for (let k = 0; k < group.length; k++) out.push(pred.select(0, k).toTypedArray() as Uint8Array);
        }),
      );
    }
    return out;
  } finally {
    model.dispose();
  }
}
