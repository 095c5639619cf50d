// `hemoseg synth`: the embedded default data (DESIGN §5), written as two dataset directories:
//   pretrain/      N synthetic stacks C x S x S (default 16 x 256 x 256), unlabelled for training,
//                  with their full ground-truth masks kept (full_masks.npy) for evaluation;
//   segmentation/  M tiles C x T x T (default 64) cut row-major from further stacks (indices N, N+1,
//                  ...: no pixel is shared with the pretrain set), with sparse annotator-like labels
//                  (masks.npy, about 2.3% of pixels) and full masks.
// Both stream stack by stack and are deterministic in the options.
import { join } from "node:path";
import { DEFAULT_CLASSES, type SynthStack, synthStack } from "../synth/index.js";
import { type DatasetMeta, writeDataset } from "./dataset.js";
import { tileGrid } from "./tiles.js";

export interface SynthDatasetsOptions {
  out: string;
  /** Pretrain stacks N (default 64). */
  stacks?: number;
  /** Segmentation tiles M (default 512). */
  tiles?: number;
  channels?: number;
  seed?: number;
  /** Stack side S (default 256) and segmentation tile side T (default 64). */
  size?: number;
  tile?: number;
  /** Fraction of labelled pixels in the sparse masks (default 0.023). */
  labelFraction?: number;
  overwrite?: boolean;
}

export interface SynthDatasets {
  pretrain: { dir: string; meta: DatasetMeta };
  segmentation: { dir: string; meta: DatasetMeta };
}

/** Copies tile (row, col) of side T out of a (C, S, S) plane stack. */
function crop<A extends Float32Array | Uint8Array>(
  src: A,
  make: (n: number) => A,
  C: number,
  S: number,
  T: number,
  row: number,
  col: number,
): A {
  const out = make(C * T * T);
  for (let c = 0; c < C; c++)
    for (let y = 0; y < T; y++) {
      const o = (c * S + row * T + y) * S + col * T;
      out.set(src.subarray(o, o + T), (c * T + y) * T);
    }
  return out;
}

export function synthDatasets(opts: SynthDatasetsOptions): SynthDatasets {
  const N = opts.stacks ?? 64;
  const M = opts.tiles ?? 512;
  const C = opts.channels ?? 16;
  const seed = opts.seed ?? 0;
  const S = opts.size ?? 256;
  const T = opts.tile ?? 64;
  const synth = { channels: C, size: S, seed, labelFraction: opts.labelFraction };
  const what = `synthetic blood images (hemoseg synth, seed ${seed})`;

  const pretrainDir = join(opts.out, "pretrain");
  const pretrain = writeDataset(
    pretrainDir,
    {
      kind: "pretrain",
      count: N,
      channels: C,
      height: S,
      width: S,
      classes: DEFAULT_CLASSES,
      fullMasks: true,
      seed,
      source: `${what}: stacks 0..${N - 1}`,
    },
    (w) => {
      for (let i = 0; i < N; i++) {
        const s = synthStack(i, synth);
        w.append({ image: s.image, fullMask: s.fullMask });
      }
    },
    opts.overwrite,
  );

  const grid = tileGrid(S, S, T);
  const segDir = join(opts.out, "segmentation");
  const lastStack = N + Math.ceil(M / grid.perStack) - 1;
  const segmentation = writeDataset(
    segDir,
    {
      kind: "segmentation",
      count: M,
      channels: C,
      height: T,
      width: T,
      classes: DEFAULT_CLASSES,
      masks: true,
      fullMasks: true,
      seed,
      source: `${what}: ${T} x ${T} tiles of stacks ${N}..${lastStack}`,
    },
    (w) => {
      let s: SynthStack | undefined;
      for (let k = 0; k < M; k++) {
        const within = k % grid.perStack;
        if (within === 0) s = synthStack(N + k / grid.perStack, synth);
        const row = Math.floor(within / grid.cols);
        const col = within % grid.cols;
        const bytes = (n: number) => new Uint8Array(n);
        w.append({
          image: crop(s!.image, (n) => new Float32Array(n), C, S, T, row, col),
          mask: crop(s!.sparseMask, bytes, 1, S, T, row, col),
          fullMask: crop(s!.fullMask, bytes, 1, S, T, row, col),
        });
      }
    },
    opts.overwrite,
  );
  return {
    pretrain: { dir: pretrainDir, meta: pretrain },
    segmentation: { dir: segDir, meta: segmentation },
  };
}
