// The dataset directory: dataset.json (the facts below, versioned) beside memory-mappable .npy
// arrays. images.npy (N, C, H, W) float32; masks.npy (N, H, W) uint8 sparse labels (255 =
// unlabelled) when the set is labelled; full_masks.npy (N, H, W) uint8 when dense ground truth
// exists. dataset.json is written last, so a directory without one is not a dataset.
import { existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmdirSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { describeFsError, fsyncDir, WriteError } from "../io/atomic.js";
import { Fields, isJsonObject, readJson, writeJson } from "../io/json.js";
import { mmapNpy, NpyWriter, readNpyHeader } from "../io/npy.js";
import { scope, type Tensor } from "../torch/index.js";
import { type Split, splitIndices } from "./split.js";
import { type ChannelMoments, ChannelStats, stackMoments } from "./stats.js";
import { TensorPool } from "./tensor-pool.js";
import type { ArrayLocation } from "./tile-reader.js";

export const DATASET_VERSION = 1;
export const IGNORE_INDEX = 255;
export type DatasetKind = "pretrain" | "segmentation";

export interface DatasetMeta {
  version: 1;
  kind: DatasetKind;
  channels: number;
  height: number;
  width: number;
  count: number;
  dtype: "float32";
  /** Class names, index = label value; empty for an unlabelled set. */
  classes: string[];
  ignoreIndex: typeof IGNORE_INDEX;
  split: Split & { seed: number; fractions: number[] };
  /** Per-channel mean and std (ddof 0) of the training split. */
  stats: { mean: number[]; std: number[] };
  files: { images: string; masks?: string; fullMasks?: string };
  /** Where the data came from, for people. */
  source?: string;
  /** Physical size of a pixel (from OME metadata), where the source gave one. */
  pixelSize?: { x: number; y: number; unit: string };
}

export const FILES = { images: "images.npy", masks: "masks.npy", fullMasks: "full_masks.npy" } as const;
type ArrayName = keyof typeof FILES;

export interface ArrayFile extends ArrayLocation {
  shape: number[];
}

export interface Dataset {
  dir: string;
  meta: DatasetMeta;
  files: { images: ArrayFile; masks?: ArrayFile; fullMasks?: ArrayFile };
  /** Memory-mapped, read-only: (N, C, H, W) float32; pages load when touched. */
  images: Tensor;
  masks?: Tensor; // (N, H, W) uint8
  fullMasks?: Tensor; // (N, H, W) uint8
  /** Unmaps the arrays. */
  close(): void;
}

// ---- validation ------------------------------------------------------------------------------

/** Checks a parsed dataset.json; the error names the file and every bad field. */
export function validateMeta(raw: unknown, file: string): DatasetMeta {
  if (!isJsonObject(raw)) throw new Error(`${file}: not a JSON object`);
  const f = new Fields(raw);
  const version = f.int("version");
  if (Number.isInteger(version) && version !== DATASET_VERSION)
    f.problem("version", `is ${version}; this hemoseg reads version ${DATASET_VERSION}`);
  const kind = f.str("kind", ["pretrain", "segmentation"]);
  const channels = f.int("channels");
  f.int("height");
  f.int("width");
  const count = f.int("count");
  f.str("dtype", ["float32"]);
  const listed = f.texts("classes");
  const classes = Array.isArray(listed) ? listed : [];
  if (classes.length > IGNORE_INDEX)
    f.problem("classes", `lists ${classes.length} classes; at most ${IGNORE_INDEX} fit`);
  if (new Set(classes).size !== classes.length) f.problem("classes", "repeats a name");
  if (f.int("ignoreIndex", undefined, 0) !== IGNORE_INDEX)
    f.problem("ignoreIndex", `must be ${IGNORE_INDEX} (the unlabelled value)`);

  const split = f.object("split");
  if (split) {
    split.int("seed", undefined, Number.MIN_SAFE_INTEGER);
    const fr = split.nums("fractions", 3);
    if (Array.isArray(fr) && fr.some((x) => x < 0)) split.problem("fractions", "holds a negative fraction");
    const missing = Number.isInteger(count) && count > 0 ? checkSplit(split, count) : -1;
    if (missing >= 0) f.problem("split", `assigns stack ${missing} to no split`);
  }

  const stats = f.object("stats");
  if (stats) {
    stats.nums("mean", channels);
    const std = stats.nums("std", channels);
    if (Array.isArray(std) && std.some((x) => x < 0)) stats.problem("std", "holds a negative value");
  }

  const files = f.object("files");
  if (files) {
    for (const [k, v] of Object.entries(files.json)) {
      if (!(k in FILES)) files.problem(k, `is not a known array (${Object.keys(FILES).join(", ")})`);
      else if (typeof v !== "string" || !/^[\w.-]+\.npy$/.test(v))
        files.problem(k, `must be a .npy file name in the directory, got ${JSON.stringify(v)}`);
    }
    files.text("images");
    if (kind === "segmentation" && !files.json.masks)
      files.problem("masks", "is required for a segmentation set");
    if ((files.json.masks || files.json.fullMasks) && classes.length === 0)
      f.problem("classes", "is empty but the set has masks");
  }
  if (raw.source !== undefined) f.text("source");
  f.fail(file, "dataset.json");
  return raw as unknown as DatasetMeta;
}

/** Checks that no stack is in two of train, val and test; returns a stack in none (-1: none). */
function checkSplit(split: Fields, count: number): number {
  const seen = new Uint8Array(count);
  for (const name of ["train", "val", "test"]) {
    const list = split.json[name];
    if (!Array.isArray(list)) {
      split.problem(name, "must be a list of stack indices");
      continue;
    }
    for (const i of list as unknown[]) {
      if (!Number.isInteger(i) || (i as number) < 0 || (i as number) >= count) {
        split.problem(name, `holds ${JSON.stringify(i)}, not a stack index in [0, ${count})`);
        return -1;
      }
      if (seen[i as number]++) {
        split.problem(name, `holds stack ${i}, which another list (or itself) already holds`);
        return -1;
      }
    }
  }
  return seen.indexOf(0);
}

/** Opens and validates a dataset directory and memory-maps its arrays. */
export function openDataset(dir: string): Dataset {
  const file = join(dir, "dataset.json");
  if (!existsSync(file)) throw new Error(`${dir}: not a hemoseg dataset (no dataset.json)`);
  const meta = validateMeta(readJson(file, "dataset.json"), file);
  const { count: N, channels: C, height: H, width: W } = meta;
  const want: Record<ArrayName, { shape: number[]; dtype: string }> = {
    images: { shape: [N, C, H, W], dtype: "<f4" },
    masks: { shape: [N, H, W], dtype: "|u1" },
    fullMasks: { shape: [N, H, W], dtype: "|u1" },
  };
  const files: Partial<Record<ArrayName, ArrayFile>> = {};
  for (const name of Object.keys(FILES) as ArrayName[]) {
    const rel = meta.files[name];
    if (!rel) continue;
    const path = join(dir, rel);
    if (!existsSync(path)) throw new Error(`${path}: missing (named by ${file}, field "files.${name}")`);
    const h = readNpyHeader(path);
    const w = want[name];
    const descr = h.descr.replace("<", "|");
    if (descr !== w.dtype.replace("<", "|"))
      throw new Error(`${path}: holds '${h.descr}' data; ${file} needs '${w.dtype}'`);
    if (h.shape.length !== w.shape.length || h.shape.some((d, i) => d !== w.shape[i]))
      throw new Error(`${path}: shape [${h.shape}] does not match ${file}, which implies [${w.shape}]`);
    files[name] = { path, dataOffset: h.dataOffset, shape: h.shape };
  }
  const mapped: Partial<Record<ArrayName, Tensor>> = {};
  try {
    for (const name of Object.keys(files) as ArrayName[]) {
      mapped[name] = mmapNpy(files[name]!.path);
      if (name !== "images") checkMaskLabels(mapped[name]!, files[name]!.path, meta.classes.length, file);
    }
  } catch (e) {
    for (const t of Object.values(mapped)) t.dispose();
    throw e;
  }
  return {
    dir,
    meta,
    files: files as Dataset["files"],
    images: mapped.images!,
    masks: mapped.masks,
    fullMasks: mapped.fullMasks,
    close() {
      for (const t of Object.values(mapped)) t.dispose();
    },
  };
}

const LABEL_SCAN_BYTES = 64 * 1024 * 1024;

/**
 * Every value of an (N, H, W) uint8 mask array must name a class or be 255 (unlabelled); the first
 * that does not is reported with its file, stack index and position (else training would fail
 * later inside libtorch with no file named). Scans a bounded slab of stacks at a time.
 */
export function checkMaskLabels(masks: Tensor, path: string, numClasses: number, metaFile: string): void {
  const [N, H, W] = masks.shape;
  const step = Math.max(1, Math.floor(LABEL_SCAN_BYTES / Math.max(1, H * W)));
  for (let i0 = 0; i0 < N; i0 += step) {
    const n = Math.min(step, N - i0);
    const bad = scope(() => {
      const slab = masks.narrow(0, i0, n);
      const wrong = slab.ge(numClasses).logicalAnd(slab.ne(IGNORE_INDEX));
      if (!wrong.any().item()) return null;
      const at = wrong.reshape([-1]).to("uint8").argmax().item();
      return { at, value: slab.reshape([-1]).narrow(0, at, 1).item() };
    });
    if (!bad) continue;
    const stackIndex = i0 + Math.floor(bad.at / (H * W));
    const px = bad.at % (H * W);
    throw new Error(
      `${path}: stack ${stackIndex} holds label ${bad.value} at row ${Math.floor(px / W)}, column ${px % W}, ` +
        `but ${metaFile} lists ${numClasses} classes (labels 0..${numClasses - 1}, ${IGNORE_INDEX} = unlabelled)`,
    );
  }
}

// ---- writing ---------------------------------------------------------------------------------

export interface DatasetWriterOptions {
  kind: DatasetKind;
  count: number;
  channels: number;
  height: number;
  width: number;
  /** Class names (label value = index); required when masks or full masks are written. */
  classes?: string[];
  /** Whether each stack comes with a sparse mask, and with a full mask. */
  masks?: boolean;
  fullMasks?: boolean;
  seed?: number;
  fractions?: number[];
  source?: string;
  pixelSize?: { x: number; y: number; unit: string };
}

/** One stack to append: image (C, H, W); masks (H, W) uint8. */
export interface StackInput {
  image: Tensor | Float32Array;
  mask?: Tensor | Uint8Array;
  fullMask?: Tensor | Uint8Array;
}

/**
 * Streams stacks into a new dataset directory one at a time; finish() computes the split and the
 * training split's statistics and writes dataset.json last. Every appended stack is checked
 * (shape, finite pixels, label values) with an error that says where the problem is.
 */
export class DatasetWriter {
  readonly dir: string;
  readonly opts: Required<Omit<DatasetWriterOptions, "source" | "pixelSize">> &
    Pick<DatasetWriterOptions, "source" | "pixelSize">;
  #writers: Partial<Record<ArrayName, NpyWriter>> = {};
  #moments: ChannelMoments[] = [];
  // Stacks pass to the .npy writers through recycled tensors: a fresh multi-megabyte tensor per
  // stack can fragment the heap until the process holds the whole set (seen: 4.2 GB for a 4 GB set).
  #staging = new TensorPool(2);
  #done = false;

  constructor(dir: string, options: DatasetWriterOptions) {
    this.dir = dir;
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.opts = {
      classes: [],
      masks: false,
      fullMasks: false,
      seed: 0,
      fractions: [0.8, 0.1, 0.1],
      ...(given as unknown as DatasetWriterOptions),
    };
    const o = this.opts;
    for (const k of ["count", "channels", "height", "width"] as const)
      if (!Number.isInteger(o[k]) || o[k] < 1)
        throw new Error(`${dir}: ${k} must be a positive integer, got ${o[k]}`);
    if (o.kind === "segmentation" && !o.masks) throw new Error(`${dir}: a segmentation set needs masks`);
    if ((o.masks || o.fullMasks) && o.classes.length === 0) throw new Error(`${dir}: masks need class names`);
    if (o.classes.length > IGNORE_INDEX)
      throw new Error(`${dir}: at most ${IGNORE_INDEX} classes fit a uint8 mask`);
    if (existsSync(dir) && readdirSync(dir).length > 0)
      throw new Error(`${dir}: already exists and is not empty`);
    mkdirSync(dir, { recursive: true });
    const { count: N, channels: C, height: H, width: W } = o;
    this.#writers.images = new NpyWriter(join(dir, FILES.images), "float32", [N, C, H, W]);
    if (o.masks) this.#writers.masks = new NpyWriter(join(dir, FILES.masks), "uint8", [N, H, W]);
    if (o.fullMasks) this.#writers.fullMasks = new NpyWriter(join(dir, FILES.fullMasks), "uint8", [N, H, W]);
  }

  /** Stacks appended so far. */
  get written(): number {
    return this.#moments.length;
  }

  append(s: StackInput): void {
    if (this.#done) throw new Error(`${this.dir}: append after finish`);
    const o = this.opts;
    const i = this.#moments.length;
    if (i >= o.count) throw new Error(`${this.dir}: more than the declared ${o.count} stacks`);
    const { channels: C, height: H, width: W } = o;
    const img =
      s.image instanceof Float32Array ? s.image : checkShape(s.image, [C, H, W], "image").toFloat32Array();
    if (img.length !== C * H * W)
      throw new Error(`image holds ${img.length} values, not ${C} x ${H} x ${W} = ${C * H * W}`);
    const m = stackMoments(img, C);
    if (!m.mean.every(Number.isFinite)) {
      const at = img.findIndex((v) => !Number.isFinite(v));
      const c = Math.floor(at / (H * W));
      const y = Math.floor((at % (H * W)) / W);
      throw new Error(
        `image has a non-finite pixel (${img[at]}) at channel ${c}, row ${y}, column ${at % W}`,
      );
    }
    const masks: [ArrayName, Uint8Array][] = [];
    for (const [name, v] of [
      ["masks", s.mask],
      ["fullMasks", s.fullMask],
    ] as const) {
      if (!this.#writers[name]) {
        if (v !== undefined)
          throw new Error(
            `${this.dir}: got a ${name === "masks" ? "mask" : "full mask"} but none was declared`,
          );
        continue;
      }
      if (v === undefined) throw new Error(`${name === "masks" ? "mask" : "full mask"} is missing`);
      const a = v instanceof Uint8Array ? v : checkMask(checkShape(v, [H, W], "mask"));
      if (a.length !== H * W) throw new Error(`mask holds ${a.length} values, not ${H} x ${W}`);
      checkLabels(a, W, o.classes.length);
      masks.push([name, a]);
    }
    this.#write("images", img, [C, H, W]);
    for (const [name, a] of masks) this.#write(name, a, [H, W]);
    this.#moments.push(m);
  }

  #write(name: ArrayName, v: Float32Array | Uint8Array, shape: number[]): void {
    const t = this.#staging.take(v, shape, v instanceof Float32Array ? "float32" : "uint8");
    try {
      this.#writers[name]!.write(t);
    } finally {
      t.dispose();
    }
  }

  /** Closes the arrays, computes split and statistics, writes dataset.json. */
  finish(): DatasetMeta {
    const o = this.opts;
    if (this.#moments.length !== o.count)
      throw new Error(`${this.dir}: ${this.#moments.length} of the declared ${o.count} stacks were appended`);
    for (const w of Object.values(this.#writers)) w.close();
    this.#staging.dispose();
    this.#done = true;
    const split = splitIndices(o.count, o.seed, o.fractions);
    const acc = new ChannelStats(o.channels);
    for (const i of split.train) acc.add(this.#moments[i]);
    const files: DatasetMeta["files"] = { images: FILES.images };
    if (o.masks) files.masks = FILES.masks;
    if (o.fullMasks) files.fullMasks = FILES.fullMasks;
    const meta: DatasetMeta = {
      version: DATASET_VERSION,
      kind: o.kind,
      channels: o.channels,
      height: o.height,
      width: o.width,
      count: o.count,
      dtype: "float32",
      classes: o.classes,
      ignoreIndex: IGNORE_INDEX,
      split: { seed: o.seed, fractions: o.fractions, ...split },
      stats: acc.result(),
      files,
      ...(o.source ? { source: o.source } : {}),
      ...(o.pixelSize ? { pixelSize: o.pixelSize } : {}),
    };
    writeJson(join(this.dir, "dataset.json"), meta, 1);
    return meta;
  }

  /** Drops everything written so far, and the directory if nothing else is in it. */
  abort(): void {
    for (const w of Object.values(this.#writers)) w.abort();
    this.#staging.dispose();
    this.#done = true;
    if (existsSync(this.dir) && readdirSync(this.dir).length === 0) rmdirSync(this.dir);
  }
}

function checkShape(t: Tensor, shape: number[], what: string): Tensor {
  const s = t.shape;
  if (s.length !== shape.length || s.some((d, i) => d !== shape[i]))
    throw new Error(`${what} has shape [${s}], expected [${shape}]`);
  return t;
}

function checkMask(t: Tensor): Uint8Array {
  if (t.dtype === "uint8") return t.toTypedArray() as Uint8Array;
  if (t.dtype.startsWith("float") || t.dtype === "bool")
    throw new Error(`mask has dtype ${t.dtype}; masks hold integer labels`);
  const v = t.toFloat32Array();
  const at = v.findIndex((x) => x < 0 || x > 255);
  if (at >= 0) throw new Error(`mask value ${v[at]} at pixel ${at} does not fit uint8`);
  return Uint8Array.from(v);
}

/** Every label must name a class or be 255 (unlabelled). */
export function checkLabels(a: Uint8Array, width: number, numClasses: number): void {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v >= numClasses && v !== IGNORE_INDEX)
      throw new Error(
        `mask value ${v} at row ${Math.floor(i / width)}, column ${i % width} is neither a class (0..${numClasses - 1}) nor ${IGNORE_INDEX} (unlabelled)`,
      );
  }
}

// ---- whole directories, all or nothing ----------------------------------------------------------

/** The hidden sibling directory a dataset for `out` is built in before it is renamed into place. */
export function partialDirFor(out: string): string {
  return join(dirname(out), `.${basename(out)}.partial-${process.pid}`);
}

/** The real path of p, or of its nearest existing ancestor joined with the rest (p need not exist). */
function realPathish(p: string): string {
  const abs = resolve(p);
  const missing: string[] = [];
  let at = abs;
  while (!existsSync(at) && dirname(at) !== at) {
    missing.unshift(basename(at));
    at = dirname(at);
  }
  return join(realpathSync(at), ...missing);
}

const within = (inner: string, outer: string): boolean =>
  inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);

/**
 * Refuses an output folder that is, contains or lies inside one of the inputs (files or folders):
 * replacing it would delete the inputs, or the output would land among them. Links are followed.
 */
export function checkOutNotInput(out: string, inputs: (string | undefined)[]): void {
  const o = realPathish(out);
  for (const input of inputs) {
    if (input === undefined) continue;
    const i = realPathish(input);
    if (i === o) throw new Error(`${out}: the output folder is the input ${input}; choose another --out`);
    if (within(i, o))
      throw new Error(`${out}: the output folder contains the input ${input}; choose another --out`);
    if (within(o, i))
      throw new Error(`${out}: the output folder lies inside the input ${input}; choose another --out`);
  }
}

/** Refuses to build over a non-empty `out` unless told to replace it, or over any of `inputs`. */
export function checkOutDir(out: string, overwrite = false, inputs: (string | undefined)[] = []): void {
  checkOutNotInput(out, inputs);
  if (existsSync(out) && readdirSync(out).length > 0 && !overwrite)
    throw new Error(`${out}: already exists and is not empty (pass overwrite to replace it)`);
}

/**
 * Creates the hidden partial directory a dataset for `out` is built in; a failure (read-only
 * folder, name too long) is reported against `out`, not the hidden name.
 */
export function makePartialDir(out: string): string {
  const partial = partialDirFor(out);
  try {
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
  } catch (e) {
    throw new Error(`${out}: cannot create the output folder: ${describeFsError(e)}`);
  }
  return partial;
}

/** An error from building in `partial` as the user sees it: named after `out`. */
export function outputError(e: unknown, partial: string, out: string): Error {
  const err = e as Error;
  if (!(e instanceof WriteError)) return err;
  return new WriteError(out, e.code, err.message.split(partial).join(out), { cause: e });
}

/** Moves a finished dataset from its partial directory to `out`, replacing what was there. */
export function commitDir(partial: string, out: string): void {
  if (existsSync(out)) rmSync(out, { recursive: true, force: true });
  renameSync(partial, out);
  fsyncDir(dirname(resolve(out)));
}

/**
 * Builds a dataset at `out` all or nothing: fill() appends every stack to a writer on a hidden
 * partial directory, which becomes `out` only once dataset.json is written; any error removes it.
 */
export function writeDataset(
  out: string,
  options: DatasetWriterOptions,
  fill: (w: DatasetWriter) => void,
  overwrite = false,
  inputs: string[] = [],
): DatasetMeta {
  checkOutDir(out, overwrite, inputs);
  const partial = makePartialDir(out);
  let w: DatasetWriter;
  try {
    w = new DatasetWriter(partial, options);
  } catch (e) {
    rmSync(partial, { recursive: true, force: true });
    throw outputError(e, partial, out);
  }
  try {
    fill(w);
    const meta = w.finish();
    commitDir(partial, out);
    return meta;
  } catch (e) {
    w.abort();
    rmSync(partial, { recursive: true, force: true });
    throw outputError(e, partial, out);
  }
}
