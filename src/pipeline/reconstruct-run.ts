// What a pre-trained ViTMAE makes of tiles it sees half of: tiles from a dataset split or an image
// file, reconstructed under a seeded mask and written as PNG grids with reconstruct.json.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { openDataset } from "../data/dataset.js";
import { tileAt, tileGrid } from "../data/tiles.js";
import { UsageError } from "../errors.js";
import { normaliseChannels } from "../eval/predict.js";
import { resolveDir, writeFileAtomic } from "../io/atomic.js";
import { readImageStack } from "../io/image-file.js";
import { readJsonObject, writeJson } from "../io/json.js";
import { ViTMAEForPreTraining } from "../models/vitmae.js";
import { defaultPick } from "../synth/colour.js";
import { rand, scope, stack, type Tensor } from "../torch/index.js";
import { RUN_FILE } from "../train/run-info.js";
import { type ReconstructionRow, reconstruct, reconstructionGrid } from "../viz/reconstruct.js";

export interface ReconstructOptions {
  run: string;
  /** A dataset directory or an image file; default: the dataset the run pre-trained on. */
  input?: string;
  out: string;
  split: "train" | "val" | "test";
  which: "best" | "last";
  /** Tiles to show (spread evenly over the split or the image). */
  count: number;
  /** Default: the model's own. */
  maskRatio?: number;
  /** False-colour channels; default: three spread over the spectrum. */
  channels?: [number, number, number];
  rowsPerGrid: number;
  device: "cpu" | "cuda";
}

export interface ReconstructSummary {
  checkpoint: string;
  input: string;
  split?: string;
  maskRatio: number;
  normPixLoss: boolean;
  channels: [number, number, number];
  tiles: { source: string; loss: number | null }[];
  meanLoss: number | null;
  grids: string[];
}

const GRID_NAME = /^reconstruct-\d+\.png$/;

/** Tiles of side S to show: raw pixels (count, C, S, S) and where each came from. */
interface TileSet {
  images: Tensor;
  sources: string[];
  stats: { mean: number[]; std: number[] };
  input: string;
  split?: string;
}

/** `count` indices spread evenly over [0, total). */
function spread(total: number, count: number): number[] {
  const n = Math.min(total, count);
  return Array.from({ length: n }, (_, i) => Math.floor((i * total) / n));
}

function runJson(run: string): { data?: string } | undefined {
  const p = join(run, RUN_FILE);
  if (!existsSync(p)) return undefined;
  const data = readJsonObject(p).data;
  if (data !== undefined && typeof data !== "string")
    throw new Error(`${p}: 'data' must be a dataset directory`);
  return { data };
}

function datasetTiles(dir: string, split: ReconstructOptions["split"], S: number, count: number): TileSet {
  const ds = openDataset(dir);
  try {
    const stacks = ds.meta.split[split];
    if (stacks.length === 0) throw new Error(`${dir}: the ${split} split is empty`);
    const grid = tileGrid(ds.meta.height, ds.meta.width, S);
    const refs = spread(stacks.length * grid.perStack, count).map((k) => tileAt(grid, stacks, k));
    const images = scope(() =>
      stack(
        refs.map((r) =>
          ds.images
            .select(0, r.stack)
            .narrow(1, r.row * S, S)
            .narrow(2, r.col * S, S),
        ),
      ).contiguous(),
    );
    const sources = refs.map((r) => `stack ${r.stack} at (${r.row * S}, ${r.col * S})`);
    return { images, sources, stats: ds.meta.stats, input: dir, split };
  } finally {
    ds.close();
  }
}

function fileTiles(path: string, S: number, count: number, stats: TileSet["stats"]): TileSet {
  const img = readImageStack(path);
  try {
    const [, H, W] = img.shape;
    if (H < S || W < S) throw new Error(`${path}: ${H} x ${W} is smaller than the model's ${S} x ${S} tile`);
    const grid = tileGrid(H, W, S);
    const refs = spread(grid.perStack, count).map((k) => tileAt(grid, [0], k));
    const images = scope(() => {
      const f = img.float();
      return stack(refs.map((r) => f.narrow(1, r.row * S, S).narrow(2, r.col * S, S))).contiguous();
    });
    return { images, sources: refs.map((r) => `(${r.row * S}, ${r.col * S})`), stats, input: path };
  } finally {
    img.dispose();
  }
}

/** The tiles --input names (or the run's own dataset), with the statistics to normalise them. */
function loadTiles(o: ReconstructOptions, S: number): TileSet {
  const data = runJson(o.run)?.data;
  const input = o.input ?? data;
  if (!input)
    throw new UsageError(`${o.run}: no run.json naming the pre-training data; pass --input DATASET|FILE`);
  if (!existsSync(input)) throw new Error(`${input}: not found`);
  if (statSync(input).isDirectory()) return datasetTiles(input, o.split, S, o.count);
  if (!data || !existsSync(join(data, "dataset.json"))) {
    throw new Error(
      `${input}: normalising an image file needs the training statistics of the run's dataset, ` +
        `${data ? `but ${data} (named by ${join(o.run, "run.json")}) is not a dataset` : `but ${o.run} has no run.json`}; ` +
        "pass a dataset directory as --input instead",
    );
  }
  const ds = openDataset(data);
  const stats = ds.meta.stats;
  ds.close();
  return fileTiles(input, S, o.count, stats);
}

/** Reconstructs tiles of a pre-training run and writes grids and reconstruct.json into o.out. */
export function reconstructRun(o: ReconstructOptions): ReconstructSummary {
  const checkpoint =
    resolveDir(join(o.run, o.which)) ?? (existsSync(join(o.run, "config.json")) ? o.run : null);
  if (!checkpoint)
    throw new Error(`${o.run}: no ${o.which}/ checkpoint (and not a checkpoint directory itself)`);
  const model = ViTMAEForPreTraining.fromPretrained(checkpoint).to(o.device);
  model.eval();
  const { imageSize: S, numChannels: C, patchSize: p } = model.config;
  const maskRatio = o.maskRatio ?? model.config.maskRatio;
  let tiles: TileSet | undefined;
  try {
    if (!(maskRatio >= 0 && maskRatio < 1))
      throw new UsageError(`--mask-ratio must be in [0, 1), got ${maskRatio}`);
    tiles = loadTiles(o, S);
    const got = tiles.images.size(1);
    if (got !== C)
      throw new Error(`${tiles.input}: has ${got} channels; the model in ${checkpoint} takes ${C}`);
    const channels = o.channels ?? defaultPick(C);
    const bad = channels.find((c) => c < 0 || c >= C);
    if (bad !== undefined) throw new UsageError(`--channels: channel ${bad} is outside [0, ${C})`);
    const set = tiles;
    const losses: number[] = [];
    const rows = scope(() => {
      const N = set.images.size(0);
      const noise = rand([N, (S / p) ** 2]); // one seeded mask per tile, whatever the batching
      const out: ReconstructionRow[] = [];
      const batch = 16;
      for (let i = 0; i < N; i += batch) {
        const n = Math.min(batch, N - i);
        scope(() => {
          const x = normaliseChannels(set.images.narrow(0, i, n), set.stats.mean, set.stats.std).to(o.device);
          const r = reconstruct(model, x, { noise: noise.narrow(0, i, n).to(o.device), maskRatio });
          const [xs, rec, pas, rem] = [x, r.reconstruction, r.pasted, r.removed].map((t) => t.to("cpu"));
          for (let j = 0; j < n; j++) {
            const loss = r.loss[j];
            losses.push(loss);
            out.push({
              original: xs.select(0, j).toFloat32Array(),
              reconstruction: rec.select(0, j).toFloat32Array(),
              pasted: pas.select(0, j).toFloat32Array(),
              removed: rem.select(0, j).to("uint8").toTypedArray() as Uint8Array,
              label: [`#${i + j + 1}`, Number.isFinite(loss) ? `loss ${loss.toFixed(3)}` : "loss -"],
            });
          }
        });
      }
      return out;
    });
    mkdirSync(o.out, { recursive: true });
    // Grids of an earlier, longer run would otherwise pass for this one's.
    for (const f of readdirSync(o.out)) if (GRID_NAME.test(f)) rmSync(join(o.out, f));
    const grids: string[] = [];
    for (let g = 0; g * o.rowsPerGrid < rows.length; g++) {
      const name = `reconstruct-${String(g + 1).padStart(2, "0")}.png`;
      const canvas = reconstructionGrid(rows.slice(g * o.rowsPerGrid, (g + 1) * o.rowsPerGrid), C, S, {
        channels,
      });
      writeFileAtomic(join(o.out, name), canvas.toPng());
      grids.push(name);
    }
    const finite = losses.filter(Number.isFinite);
    const summary: ReconstructSummary = {
      checkpoint,
      input: tiles.input,
      ...(tiles.split ? { split: tiles.split } : {}),
      maskRatio,
      normPixLoss: model.config.normPixLoss,
      channels,
      tiles: tiles.sources.map((source, k) => ({
        source,
        loss: Number.isFinite(losses[k]) ? losses[k] : null,
      })),
      meanLoss: finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : null,
      grids,
    };
    writeJson(join(o.out, "reconstruct.json"), summary, 1);
    return summary;
  } finally {
    tiles?.images.dispose();
    model.dispose();
  }
}
