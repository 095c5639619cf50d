// Preview PNGs of synthetic stacks: a false-colour composite, the full mask over it, and the sparse
// labels over a dimmed copy of it.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writePng } from "../io/png.js";
import { falseColour, overlay } from "./colour.js";
import type { SynthStack } from "./index.js";

export interface PreviewOptions {
  /** Channels shown as red, green and blue; default long, middle and short wavelengths. */
  pick?: [number, number, number];
  /** File-name prefix; default "stack". */
  prefix?: string;
  /** Number of the first stack in file names; default 0. */
  first?: number;
  /** Integer nearest-neighbour enlargement so small objects show; default 1. */
  scale?: number;
}

/** (S, S, 3) -> (S*k, S*k, 3) by pixel repetition. */
function enlarge(rgb: Uint8Array, size: number, k: number): Uint8Array {
  if (k === 1) return rgb;
  const W = size * k;
  const out = new Uint8Array(W * W * 3);
  for (let y = 0; y < W; y++) {
    const sy = Math.floor(y / k);
    for (let x = 0; x < W; x++) {
      const s = (sy * size + Math.floor(x / k)) * 3;
      const d = (y * W + x) * 3;
      out[d] = rgb[s];
      out[d + 1] = rgb[s + 1];
      out[d + 2] = rgb[s + 2];
    }
  }
  return out;
}

/** Writes `<prefix>-NNNN-composite.png`, `-mask.png` and `-labels.png` per stack; returns the paths. */
export function writePreview(dir: string, stacks: SynthStack[], opts: PreviewOptions = {}): string[] {
  const prefix = opts.prefix ?? "stack";
  const first = opts.first ?? 0;
  const scale = opts.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1 || scale > 16)
    throw new Error(`writePreview: scale must be an integer 1-16, got ${scale}`);
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  stacks.forEach((st, i) => {
    const size = Math.round(Math.sqrt(st.fullMask.length));
    const channels = st.image.length / (size * size);
    if (
      size * size !== st.fullMask.length ||
      st.sparseMask.length !== st.fullMask.length ||
      !Number.isInteger(channels)
    )
      throw new Error(`writePreview: stack ${first + i} has inconsistent image and mask sizes`);
    const rgb = falseColour(st.image, channels, size, opts.pick);
    const name = `${prefix}-${String(first + i).padStart(4, "0")}`;
    const views: [string, Uint8Array][] = [
      ["composite", rgb],
      ["mask", overlay(rgb, st.fullMask, "full")],
      ["labels", overlay(rgb, st.sparseMask, "sparse")],
    ];
    for (const [kind, img] of views) {
      const path = join(dir, `${name}-${kind}.png`);
      const side = size * scale;
      writePng(path, { width: side, height: side, channels: 3, data: enlarge(img, size, scale) });
      paths.push(path);
    }
  });
  return paths;
}
