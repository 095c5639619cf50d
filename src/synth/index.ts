// Synthetic blood-imaging-chamber stacks (DESIGN §5): a C-channel spectral/focus stack, its full
// ground-truth mask and annotator-like sparse labels, deterministic in (seed, index).

import { annotate } from "./annotate.js";
import { NUM_CLASSES } from "./classes.js";
import { type ChannelSetup, channelSetup } from "./optics.js";
import { rasterise } from "./raster.js";
import { renderImage } from "./render.js";
import { hashSeed, Rng } from "./rng.js";
import { layoutScene } from "./scene.js";

export { annotate, PAPER_TABLE1 } from "./annotate.js";
export { CLASS_COLOURS, DEFAULT_CLASSES, NUM_CLASSES, UNLABELLED } from "./classes.js";
export { defaultPick, falseColour, overlay } from "./colour.js";
export { type ChannelSetup, channelSetup, isTopFocusChannel } from "./optics.js";
export { type PreviewOptions, writePreview } from "./preview.js";

export interface SynthOptions {
  /** Channels (wavelength/focus pairs); default 16. */
  channels?: number;
  /** Side of the square stack in pixels; default 256. */
  size?: number;
  /** Data-set seed: fixes the instrument and, with the index, every stack; default 0. */
  seed?: number;
  /** Target fraction of labelled pixels in sparse labels; default 0.023 (the seed paper's). */
  labelFraction?: number;
}

export interface SynthStack {
  /** (C, S, S) row-major float32, roughly in [0, 1]. */
  image: Float32Array;
  /** (S, S) class ids. */
  fullMask: Uint8Array;
  /** (S, S) class ids, 255 = unlabelled. */
  sparseMask: Uint8Array;
}

/** Instrument models are pure functions of (channels, seed); keep the last few. */
const setups = new Map<string, ChannelSetup>();
function setupFor(channels: number, seed: number): ChannelSetup {
  const key = `${channels}/${seed}`;
  let s = setups.get(key);
  if (!s) {
    if (setups.size > 8) setups.clear();
    s = channelSetup(channels, seed);
    setups.set(key, s);
  }
  return s;
}

function check(name: string, v: number, ok: boolean): void {
  if (!ok) throw new Error(`synthStack: ${name} ${v} is out of range`);
}

/** Makes stack `index` of the set with these options. Independent of every other index. */
export function synthStack(index: number, opts: SynthOptions = {}): SynthStack {
  const channels = opts.channels ?? 16;
  const size = opts.size ?? 256;
  const seed = opts.seed ?? 0;
  const fraction = opts.labelFraction ?? 0.023;
  check("channels", channels, Number.isInteger(channels) && channels >= 1 && channels <= 1024);
  check("size", size, Number.isInteger(size) && size >= 8 && size <= 8192);
  check("index", index, Number.isInteger(index) && index >= 0);
  check("seed", seed, Number.isInteger(seed) && seed >= 0);
  check("labelFraction", fraction, fraction >= 0 && fraction <= 1);

  const scene = layoutScene(new Rng(hashSeed(seed, index, 1)), size);
  const layers = rasterise(scene);
  const image = new Float32Array(channels * size * size);
  renderImage(layers, setupFor(channels, seed), new Rng(hashSeed(seed, index, 2)), image);
  const sparseMask = annotate(layers.mask, size, new Rng(hashSeed(seed, index, 3)), fraction);
  return { image, fullMask: layers.mask, sparseMask };
}

/** Labelled pixels per class of a sparse mask. */
export function labelCounts(sparse: Uint8Array, classes = NUM_CLASSES): number[] {
  const n = new Array<number>(classes).fill(0);
  for (const v of sparse) if (v < classes) n[v]++;
  return n;
}
