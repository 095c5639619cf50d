// Labelling image files with a segmentation run: label maps (PNG, .npy), colour overlays, a legend
// and predict.json, one set per input file, by sliding window.
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { UsageError } from "../errors.js";
import { checkFinite, predictStack } from "../eval/predict.js";
import { writeFileAtomic } from "../io/atomic.js";
import { IMAGE_EXTENSIONS, readImageStack } from "../io/image-file.js";
import { writeJson } from "../io/json.js";
import { writeNpy } from "../io/npy.js";
import { writePng } from "../io/png.js";
import { defaultPick } from "../synth/colour.js";
import { type Tensor, tensor } from "../torch/index.js";
import { loadSegmenter, readRunInfo } from "../train/run-info.js";
import { classPalette, falseColour, overlay, type Rgb } from "../viz/colours.js";
import { LINE_HEIGHT } from "../viz/font.js";
import { Canvas } from "../viz/render.js";

export interface PredictFilesOptions {
  run: string;
  /** An image file or a folder of them. */
  input: string;
  out: string;
  overlap: number;
  batch: number;
  which: "best" | "last";
  /** False-colour channels of the overlays; default: three spread over the spectrum. */
  channels?: [number, number, number];
  device: "cpu" | "cuda";
}

export interface PredictedFile {
  input: string;
  height: number;
  width: number;
  labels: string;
  npy: string;
  overlay: string;
  /** Pixels per class. */
  counts: number[];
}

/** The image files an --input names: the file itself, or a folder's supported files by name. */
export function inputFiles(input: string): string[] {
  if (!existsSync(input)) throw new Error(`${input}: not found`);
  if (!statSync(input).isDirectory()) return [input];
  const supported = new Set<string>(IMAGE_EXTENSIONS);
  const files = readdirSync(input)
    .filter((f) => supported.has(extname(f).toLowerCase()))
    .sort()
    .map((f) => join(input, f));
  if (files.length === 0) throw new Error(`${input}: holds no image files (${IMAGE_EXTENSIONS.join(", ")})`);
  const stems = new Map<string, string>();
  for (const f of files) {
    const stem = basename(f, extname(f));
    const other = stems.get(stem);
    if (other)
      throw new Error(`${f} and ${other} would write the same outputs (${stem}_labels.png); rename one`);
    stems.set(stem, f);
  }
  return files;
}

/** Reads a stack, naming the file in any error. */
function readStack(path: string): Tensor {
  try {
    return readImageStack(path);
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(msg.includes(path) ? msg : `${path}: cannot be read: ${msg}`);
  }
}

/** Swatch and name per class, one line each. */
export function legendPng(classes: string[], palette: readonly Rgb[]): Buffer {
  const gap = 6;
  const row = LINE_HEIGHT + 4;
  const width = gap + 12 + gap + Math.max(...classes.map((c, i) => `${i} ${c}`.length)) * 6 + gap;
  const canvas = new Canvas(width, gap + classes.length * row + gap - 4);
  classes.forEach((name, i) => {
    const y = gap + i * row;
    canvas.fillRect(gap, y - 1, 12, 10, palette[i]);
    canvas.text(gap + 12 + gap, y, `${i} ${name}`);
  });
  return canvas.toPng();
}

/** Labels every input with a segmentation run's best (or last) checkpoint; writes into o.out. */
export function predictFiles(o: PredictFilesOptions, onFile?: (f: PredictedFile) => void): PredictedFile[] {
  if (!(o.overlap >= 0 && o.overlap < 1))
    throw new UsageError(`--overlap must be in [0, 1), got ${o.overlap}`);
  if (!(Number.isInteger(o.batch) && o.batch > 0))
    throw new UsageError(`--batch must be a positive integer, got ${o.batch}`);
  const info = readRunInfo(o.run);
  const files = inputFiles(o.input);
  const K = info.classes.length;
  const palette = classPalette(K);
  const flatPalette = Uint8Array.from(palette.flat());
  const channels = o.channels ?? defaultPick(info.channels);
  const bad = channels.find((c) => !(Number.isInteger(c) && c >= 0 && c < info.channels));
  if (bad !== undefined) throw new UsageError(`--channels: channel ${bad} is outside [0, ${info.channels})`);
  const model = loadSegmenter(o.run, o.which).to(o.device);
  mkdirSync(o.out, { recursive: true });
  const done: PredictedFile[] = [];
  try {
    for (const path of files) {
      const image = readStack(path);
      try {
        const [C, H, W] = image.shape;
        if (C !== info.channels) {
          throw new Error(`${path}: has ${C} channels; the run ${o.run} was trained on ${info.channels}`);
        }
        if (H < info.tile || W < info.tile) {
          throw new Error(`${path}: ${H} x ${W} is smaller than the run's ${info.tile} x ${info.tile} tile`);
        }
        checkFinite(image, path);
        const { labels } = predictStack(model, image, {
          tile: info.tile,
          overlap: o.overlap,
          batch: o.batch,
          device: o.device,
          ...info.stats,
        });
        const stem = basename(path, extname(path));
        const names = {
          labels: `${stem}_labels.png`,
          npy: `${stem}_labels.npy`,
          overlay: `${stem}_overlay.png`,
        };
        writePng(join(o.out, names.labels), {
          width: W,
          height: H,
          channels: 1,
          data: labels,
          palette: flatPalette,
        });
        const t = tensor(labels, [H, W], "uint8");
        try {
          writeNpy(join(o.out, names.npy), t);
        } finally {
          t.dispose();
        }
        const rgb = falseColour(image.toFloat32Array(), C, H, W, channels);
        writePng(join(o.out, names.overlay), {
          width: W,
          height: H,
          channels: 3,
          data: overlay(rgb, labels, palette, 0.45),
        });
        const counts = new Array<number>(K).fill(0);
        for (const v of labels) counts[v]++;
        const f = { input: path, height: H, width: W, ...names, counts };
        done.push(f);
        onFile?.(f);
      } finally {
        image.dispose();
      }
    }
  } finally {
    model.dispose();
  }
  writeFileAtomic(join(o.out, "legend.png"), legendPng(info.classes, palette));
  const legend = info.classes.map((name, index) => ({ index, name, colour: palette[index] }));
  const summary = {
    run: o.run,
    checkpoint: o.which,
    overlap: o.overlap,
    channels,
    classes: legend,
    files: done,
  };
  writeJson(join(o.out, "predict.json"), summary, 1);
  return done;
}
