// `hemoseg import`: image files (.npy, .npz, .tif/.tiff, .png) or folders of them, with optional
// masks paired by file name, into a dataset directory. Every stack is read and checked (shape,
// channel count, finite pixels, label values, image/mask sizes) while it streams into a hidden
// directory beside the output, which is renamed into place only when everything passed: a bad
// input leaves nothing behind but the error, which names the file and the problem.
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { WriteError } from "../io/atomic.js";
import { IMAGE_EXTENSIONS, readImageStack, readMaskFile } from "../io/image-file.js";
import { mmapNpy, readNpy, readNpyHeader } from "../io/npy.js";
import { isOmeTiffName, type OmeSelection, readOmeInfo } from "../io/ome-tiff.js";
import { DEFAULT_CLASSES } from "../synth/index.js";
import type { Tensor } from "../torch/index.js";
import {
  checkOutDir,
  commitDir,
  type DatasetKind,
  type DatasetMeta,
  DatasetWriter,
  makePartialDir,
  outputError,
} from "./dataset.js";
import { maskBytes } from "./import-steps.js";
import { applyConvention, checkConvention, type LabelConvention } from "./labels.js";

/** A mask pairs with an image of the same stem, or of its stem without one of these endings. */
export const MASK_SUFFIXES = ["_mask", "_masks", "-mask", "_label", "_labels", "-label"];

export interface ImportOptions {
  /** An image file or a folder of them. */
  images: string;
  /** A mask file or a folder of them, paired with the images by name. */
  masks?: string;
  out: string;
  /** Class names (label value = index); defaults to hemoseg's 11 classes when masks are given. */
  classes?: string[];
  /** Defaults to "segmentation" with masks, "pretrain" without. */
  kind?: DatasetKind;
  seed?: number;
  fractions?: number[];
  /** Replace an existing, non-empty output directory. */
  overwrite?: boolean;
  source?: string;
  /** How the mask files mark "unlabelled" and which value is which class (see labels.ts). */
  labels?: LabelConvention;
  /** Which Z/C/T planes of OME-TIFF files become the channels. */
  ome?: OmeSelection;
  /** Called after each stack: stacks done, stacks in all. */
  onProgress?: (done: number, total: number) => void;
}

/** The supported files of a folder, in natural name order, or the one file given. */
export function listImageFiles(path: string): string[] {
  if (!existsSync(path)) throw new Error(`${path}: no such file or folder`);
  const supported = (f: string) => (IMAGE_EXTENSIONS as readonly string[]).includes(extname(f).toLowerCase());
  if (!statSync(path).isDirectory()) {
    if (!supported(path))
      throw new Error(`${path}: unsupported file type (use ${IMAGE_EXTENSIONS.join(", ")})`);
    return [path];
  }
  const names = readdirSync(path)
    .filter((f) => supported(f) && !f.startsWith("."))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  if (names.length === 0) throw new Error(`${path}: holds no ${IMAGE_EXTENSIONS.join(", ")} files`);
  return names.map((f) => join(path, f));
}

const stem = (f: string) => basename(f, extname(f));

/** Pairs each image with its mask by file stem; any unpaired or doubly named file is an error. */
export function pairByName(images: string[], masks: string[]): [string, string][] {
  if (images.length === 1 && masks.length === 1) return [[images[0], masks[0]]];
  const byStem = new Map<string, string>();
  for (const m of masks) {
    let s = stem(m);
    const suffix = MASK_SUFFIXES.find((x) => s.endsWith(x) && !images.some((i) => stem(i) === s));
    if (suffix) s = s.slice(0, -suffix.length);
    const other = byStem.get(s);
    if (other) throw new Error(`${m}: both it and ${other} would be the mask of image "${s}"`);
    byStem.set(s, m);
  }
  const seen = new Map<string, string>();
  const pairs: [string, string][] = [];
  for (const i of images) {
    const s = stem(i);
    if (seen.has(s))
      throw new Error(`${i}: has the same name as ${seen.get(s)}; masks pair with images by name`);
    seen.set(s, i);
    const m = byStem.get(s);
    if (!m) throw new Error(`${i}: no mask named "${s}" (${images.length} images, ${masks.length} masks)`);
    pairs.push([i, m]);
    byStem.delete(s);
  }
  const left = [...byStem.values()];
  if (left.length > 0)
    throw new Error(`${left[0]}: no image with this name (${images.length} images, ${masks.length} masks)`);
  return pairs;
}

/** One input file's stacks: a 4-D .npy (N, C, H, W) holds N, any other image file one. */
interface Entry {
  image: string;
  mask?: string;
  count: number;
  stacked: boolean;
}

const isNpy = (f: string) => extname(f).toLowerCase() === ".npy";

function plan(pairs: [string, string | undefined][]): Entry[] {
  return pairs.map(([image, mask]) => {
    const h = isNpy(image) ? withFile(image, () => readNpyHeader(image)) : undefined;
    if (h?.shape.length !== 4) return { image, mask, count: 1, stacked: false };
    if (h.shape[0] === 0) throw new Error(`${image}: holds no stacks (an empty array of shape [${h.shape}])`);
    if (mask && !isNpy(mask))
      throw new Error(
        `${mask}: the 4-D image array ${image} holds ${h.shape[0]} stacks; its masks must be one (N, H, W) .npy`,
      );
    return { image, mask, count: h.shape[0], stacked: true };
  });
}

/** A 4-D .npy's stacks one by one, memory-mapped where the dtype allows. */
function openArray(path: string): Tensor {
  try {
    return mmapNpy(path);
  } catch {
    return readNpy(path);
  }
}

interface Stack {
  where: string;
  image: Tensor; // (C, H, W)
  mask?: Tensor; // (H, W)
  maskFile?: string;
}

function* readStacks(entries: Entry[], ome?: OmeSelection): Generator<Stack> {
  for (const e of entries) {
    if (!e.stacked) {
      const image = withFile(e.image, () => readImageStack(e.image, { ome }));
      let mask: Tensor | undefined;
      try {
        mask = e.mask ? withFile(e.mask, () => readMaskFile(e.mask!)) : undefined;
      } catch (err) {
        image.dispose();
        throw err;
      }
      yield { where: e.image, image, mask, maskFile: e.mask };
      continue;
    }
    const all = withFile(e.image, () => openArray(e.image)); // (N, C, H, W)
    let masks: Tensor | undefined;
    try {
      masks = e.mask ? withFile(e.mask, () => openArray(e.mask!)) : undefined;
      if (masks && (masks.ndim !== 3 || masks.shape[0] !== e.count))
        throw new Error(
          `${e.mask}: mask array has shape [${masks.shape}], expected (${e.count}, H, W) like ${e.image}`,
        );
      for (let i = 0; i < e.count; i++) {
        yield {
          where: `${e.image} [stack ${i}]`,
          image: all.select(0, i),
          mask: masks?.select(0, i),
          maskFile: e.mask && `${e.mask} [stack ${i}]`,
        };
      }
    } finally {
      all.dispose();
      masks?.dispose();
    }
  }
}

/** The OME-TIFF inputs' common physical pixel size; differing sizes are refused. */
function omePixelSize(files: string[]): DatasetMeta["pixelSize"] {
  let first: { file: string; size: NonNullable<DatasetMeta["pixelSize"]> } | undefined;
  for (const f of files.filter(isOmeTiffName)) {
    const size = withFile(f, () => readOmeInfo(f)).pixelSize;
    if (!size) continue;
    if (!first) first = { file: f, size };
    else if (size.x !== first.size.x || size.y !== first.size.y || size.unit !== first.size.unit)
      throw new Error(
        `${f}: pixels are ${size.x} x ${size.y} ${size.unit}, but ${first.file} has ${first.size.x} x ${first.size.y} ${first.size.unit}; import different magnifications separately`,
      );
  }
  return first?.size;
}

/** Runs fn, making sure an error names the file. */
function withFile<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(msg.includes(file) ? msg : `${file}: ${msg}`);
  }
}

/** Imports images (and masks) into a new dataset directory at opts.out; returns its dataset.json. */
export function importDataset(opts: ImportOptions): DatasetMeta {
  const { out } = opts;
  checkOutDir(out, opts.overwrite, [opts.images, opts.masks]);
  const kind = opts.kind ?? (opts.masks ? "segmentation" : "pretrain");
  if (kind === "segmentation" && !opts.masks)
    throw new Error(`${opts.images}: a segmentation set needs masks`);
  const classes = opts.classes ?? (opts.masks ? DEFAULT_CLASSES : []);
  const convention = opts.labels ?? {};
  if (opts.masks) checkConvention(convention, classes.length);
  const images = listImageFiles(opts.images);
  const pairs: [string, string | undefined][] = opts.masks
    ? pairByName(images, listImageFiles(opts.masks))
    : images.map((i) => [i, undefined]);
  const entries = plan(pairs);
  const count = entries.reduce((a, e) => a + e.count, 0);

  const tmp = makePartialDir(out);
  let writer: DatasetWriter | undefined;
  let firstWhere = "";
  try {
    const pixelSize = omePixelSize(entries.map((e) => e.image));
    for (const s of readStacks(entries, opts.ome)) {
      try {
        if (s.image.ndim !== 3)
          throw new Error(`image has shape [${s.image.shape}]; expected (C, H, W) or (H, W)`);
        const [C, H, W] = s.image.shape;
        if (!writer) {
          firstWhere = s.where;
          writer = new DatasetWriter(tmp, {
            kind,
            count,
            channels: C,
            height: H,
            width: W,
            classes,
            masks: opts.masks !== undefined,
            seed: opts.seed,
            fractions: opts.fractions,
            pixelSize,
            source:
              opts.source ?? `imported from ${opts.images}${opts.masks ? ` with masks ${opts.masks}` : ""}`,
          });
        }
        const o = writer.opts;
        if (C !== o.channels) throw new Error(`image has ${C} channels, but ${firstWhere} has ${o.channels}`);
        if (H !== o.height || W !== o.width)
          throw new Error(`image is ${H} x ${W}, but ${firstWhere} is ${o.height} x ${o.width}`);
        if (s.mask) {
          const ms = s.mask.shape;
          if (ms.length !== 2 || ms[0] !== H || ms[1] !== W)
            throw new Error(`${s.maskFile}: mask has shape [${ms}], but its image ${s.where} is ${H} x ${W}`);
        }
        const mask =
          s.mask && s.maskFile
            ? applyConvention(maskBytes(s.mask, s.maskFile), convention, classes.length, s.maskFile, W)
            : undefined;
        try {
          writer.append({ image: s.image, mask });
        } catch (e) {
          if (e instanceof WriteError) throw e; // the output's fault, not the input's
          // Label problems belong to the mask file, pixel problems to the image.
          const msg = (e as Error).message;
          throw new Error(
            msg.startsWith("mask") && s.maskFile ? `${s.maskFile}: ${msg}` : `${s.where}: ${msg}`,
          );
        }
      } catch (e) {
        if (e instanceof WriteError) throw e;
        const msg = (e as Error).message;
        throw new Error(
          msg.includes(s.where) || (s.maskFile && msg.includes(s.maskFile)) ? msg : `${s.where}: ${msg}`,
        );
      } finally {
        s.image.dispose();
        s.mask?.dispose();
      }
      opts.onProgress?.(writer.written, count);
    }
    if (!writer) throw new Error(`${opts.images}: no image stacks to import`);
    const meta = writer.finish();
    commitDir(tmp, out);
    return meta;
  } catch (e) {
    writer?.abort();
    rmSync(tmp, { recursive: true, force: true });
    throw outputError(e, tmp, out);
  }
}
