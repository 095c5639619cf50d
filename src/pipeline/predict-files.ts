// Labelling image files with a segmentation run (libtorch) or its ONNX export (onnxruntime, no
// libtorch): label maps (PNG, .npy), colour overlays, a legend and predict.json, one set per input
// file, by the one sliding window of eval/sliding-window.ts. Over a folder, each file is labelled on
// its own: a bad one is reported and skipped, the others are still labelled.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { UsageError } from "../errors.js";
import { checkFiniteArray, slideWindows } from "../eval/sliding-window.js";
import { describeFsError, WriteError, writeFileAtomic } from "../io/atomic.js";
import { type ImageArray, readImageArray } from "../io/image-array.js";
import { IMAGE_EXTENSIONS } from "../io/image-file.js";
import { writeJson } from "../io/json.js";
import { writeNpyArray } from "../io/npy.js";
import { writePng } from "../io/png.js";
import { defaultPick } from "../synth/colour.js";
import { classPalette, falseColour, overlay, type Rgb } from "../viz/colours.js";
import { LINE_HEIGHT } from "../viz/font.js";
import { Canvas } from "../viz/render.js";
import type { SegmentationEngine } from "./engine.js";

export interface PredictFilesOptions {
  /** The run whose checkpoint libtorch runs (engine "libtorch"). */
  run?: string;
  /** "libtorch" (default) or "onnx": an exported model (o.onnx) in onnxruntime, without libtorch. */
  engine?: "libtorch" | "onnx";
  onnx?: string;
  /** onnxruntime's threads (engine "onnx"). */
  threads?: number;
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

/** An input that could not be labelled, and why. */
export interface SkippedFile {
  input: string;
  reason: string;
}

export interface PredictSummary {
  done: PredictedFile[];
  skipped: SkippedFile[];
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
function readStack(path: string): ImageArray {
  try {
    return readImageArray(path);
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

/** The engine o asks for; the libtorch one is imported only when asked for, so the ONNX path never loads libtorch. */
async function openEngine(o: PredictFilesOptions): Promise<SegmentationEngine> {
  if (o.engine === "onnx") {
    if (!o.onnx) throw new UsageError("--engine onnx needs --onnx FILE (a model from hemoseg export --onnx)");
    if (o.device !== "cpu") throw new UsageError("--engine onnx runs on the CPU; drop --device cuda");
    const { openOnnxEngine } = await import("./onnx-engine.js");
    return openOnnxEngine(o.onnx, { threads: o.threads });
  }
  if (o.engine !== undefined && o.engine !== "libtorch")
    throw new UsageError(`--engine must be libtorch or onnx, not '${o.engine}'`);
  if (!o.run) throw new UsageError("predict needs --run DIR (or --engine onnx --onnx FILE)");
  const { openTorchEngine } = await import("./torch-engine.js");
  return openTorchEngine(o.run, o.which, o.device);
}

/**
 * Labels every input with a segmentation run's best (or last) checkpoint, or an ONNX export; writes
 * into o.out. Each file is labelled on its own: a bad one (unreadable, NaN pixels, wrong channel
 * count, too small) is reported through onSkip with its reason, leaves no outputs of its own, and
 * the others are still labelled. predict.json lists what was done and what was skipped. An output
 * that cannot be written (disk full, permission) stops the run with that error.
 */
export async function predictFiles(
  o: PredictFilesOptions,
  onFile?: (f: PredictedFile) => void,
  onSkip?: (s: SkippedFile) => void,
): Promise<PredictSummary> {
  if (!(o.overlap >= 0 && o.overlap < 1))
    throw new UsageError(`--overlap must be in [0, 1), got ${o.overlap}`);
  if (!(Number.isInteger(o.batch) && o.batch > 0))
    throw new UsageError(`--batch must be a positive integer, got ${o.batch}`);
  const files = inputFiles(o.input);
  const engine = await openEngine(o);
  const done: PredictedFile[] = [];
  const skipped: SkippedFile[] = [];
  const from = engine.source.run ?? engine.source.onnx;
  const K = engine.classes.length;
  const palette = classPalette(K);
  try {
    const flatPalette = Uint8Array.from(palette.flat());
    const channels = o.channels ?? defaultPick(engine.channels);
    const bad = channels.find((c) => !(Number.isInteger(c) && c >= 0 && c < engine.channels));
    if (bad !== undefined)
      throw new UsageError(`--channels: channel ${bad} is outside [0, ${engine.channels})`);
    try {
      mkdirSync(o.out, { recursive: true });
    } catch (e) {
      throw new Error(`${o.out}: cannot create the output folder: ${describeFsError(e)}`);
    }
    const labelOne = async (path: string): Promise<PredictedFile> => {
      const image = readStack(path);
      const [C, H, W] = image.shape;
      if (C !== engine.channels) {
        throw new Error(`${path}: has ${C} channels; the model ${from} was trained on ${engine.channels}`);
      }
      if (H < engine.tile || W < engine.tile) {
        throw new Error(
          `${path}: ${H} x ${W} is smaller than the model's ${engine.tile} x ${engine.tile} tile`,
        );
      }
      checkFiniteArray(image.data, image.shape, path);
      const { labels } = await slideWindows(
        image.data,
        image.shape,
        { tile: engine.tile, overlap: o.overlap, batch: o.batch, ...engine.stats },
        engine.forward,
      );
      const stem = basename(path, extname(path));
      const names = {
        labels: `${stem}_labels.png`,
        npy: `${stem}_labels.npy`,
        overlay: `${stem}_overlay.png`,
      };
      const at = (name: string) => join(o.out, name);
      try {
        writePng(at(names.labels), { width: W, height: H, channels: 1, data: labels, palette: flatPalette });
        writeNpyArray(at(names.npy), "uint8", [H, W], labels);
        const rgb = falseColour(image.data, C, H, W, channels);
        writePng(at(names.overlay), {
          width: W,
          height: H,
          channels: 3,
          data: overlay(rgb, labels, palette, 0.45),
        });
      } catch (e) {
        for (const name of Object.values(names)) rmSync(at(name), { force: true }); // all or none
        throw e;
      }
      const counts = new Array<number>(K).fill(0);
      for (const v of labels) counts[v]++;
      return { input: path, height: H, width: W, ...names, counts };
    };
    for (const path of files) {
      try {
        const f = await labelOne(path);
        done.push(f);
        onFile?.(f);
      } catch (e) {
        if (e instanceof WriteError) throw e; // an output cannot be written (disk full...): stop
        const msg = (e as Error).message;
        const s = { input: path, reason: msg.startsWith(`${path}: `) ? msg.slice(path.length + 2) : msg };
        skipped.push(s);
        onSkip?.(s);
      }
    }
    writeFileAtomic(join(o.out, "legend.png"), legendPng(engine.classes, palette));
    const legend = engine.classes.map((name, index) => ({ index, name, colour: palette[index] }));
    const summary = {
      ...(o.engine === "onnx" ? { onnx: o.onnx, engine: engine.name } : { run: o.run, checkpoint: o.which }),
      overlap: o.overlap,
      channels,
      classes: legend,
      counts: { inputs: files.length, done: done.length, skipped: skipped.length },
      files: done,
      skipped,
    };
    writeJson(join(o.out, "predict.json"), summary, 1);
  } finally {
    await engine.close();
  }
  return { done, skipped };
}
