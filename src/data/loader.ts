// TileLoader: batches of T x T tiles cut on the fly from a dataset's stacks, for one split.
// The main thread plans each epoch (seeded shuffle, shard, flip codes), worker threads read and
// build the batches into pooled buffers a few batches ahead, and each finished buffer is copied once
// into a recycled batch tensor (tensor-pool.ts). Batches therefore repeat exactly from (seed, epoch) whatever the number of
// workers or the prefetch depth.
import { endianness } from "node:os";
import { Worker } from "node:worker_threads";
import type { Tensor } from "../torch/index.js";
import type { Dataset } from "./dataset.js";
import type { BatchDone, BatchJob } from "./loader-worker.js";
import { mixSeed, rng, shuffleInPlace } from "./random.js";
import type { SplitName } from "./split.js";
import { TensorPool } from "./tensor-pool.js";
import { HFLIP, type TileSource, VFLIP } from "./tile-reader.js";
import { type TileGrid, type TileRef, tileAt, tileGrid } from "./tiles.js";

export interface TileLoaderOptions {
  /** Which stacks: a split of the dataset, or "all" (default "train"). */
  split?: SplitName | "all";
  /**
   * Only the first `subset` stacks of a shuffle of the split seeded by `seed` (default 0: all), e.g.
   * fewer labelled tiles for a label-scarcity curve; a smaller subset is part of a larger one.
   */
  subset?: number;
  /** Tile side T (default 64). */
  tile?: number;
  /** Tiles per batch (default 32). */
  batchSize?: number;
  /** Reshuffle the tiles every epoch (default: on for train). */
  shuffle?: boolean;
  /** Random horizontal and vertical flips, the same for a tile's image and masks (default: on for train). */
  flips?: boolean;
  /** Per-channel (x - mean) / std with the training split's statistics (default true). */
  normalize?: boolean;
  /** Read masks and full masks where the dataset has them (default true). */
  withMasks?: boolean;
  seed?: number;
  /** Drop the last, incomplete batch and give every rank the same number of tiles (default false). */
  dropLast?: boolean;
  rank?: number;
  worldSize?: number;
  /** Batches built ahead of the consumer (default 3). */
  prefetch?: number;
  /** Worker threads building batches (default 1). */
  workers?: number;
}

export interface TileBatch {
  images: Tensor; // (B, C, T, T) float32
  masks?: Tensor; // (B, T, T) int64, 255 = unlabelled
  fullMasks?: Tensor; // (B, T, T) int64
  /** Each tile's index in the loader's tile list (see tileRef). */
  indices: number[];
}

/** Frees a batch's tensors. */
export function disposeBatch(b: TileBatch): void {
  b.images.dispose();
  b.masks?.dispose();
  b.fullMasks?.dispose();
}

interface Buffers {
  images: ArrayBuffer;
  masks?: ArrayBuffer;
  fullMasks?: ArrayBuffer;
}

interface Lane {
  worker: Worker;
  inflight: number;
  dead?: Error;
}

/** Seed word of the subset shuffle, apart from the per-epoch streams (seed, epoch, 1 | 2). */
const SUBSET_STREAM = 0x5b5e7;

export class TileLoader {
  readonly dataset: Dataset;
  readonly grid: TileGrid;
  /** The stacks this loader draws from, ascending. */
  readonly stacks: readonly number[];
  readonly batchSize: number;
  readonly numTiles: number;
  readonly opts: Required<TileLoaderOptions>;
  #source: TileSource;
  #lanes: Lane[] = [];
  #pool: Buffers[] = [];
  #tensors = new TensorPool();
  #waiting = new Map<number, { resolve: (d: BatchDone) => void; reject: (e: Error) => void; lane: Lane }>();
  #nextId = 0;
  #closed = false;

  constructor(dataset: Dataset, options: TileLoaderOptions = {}) {
    if (endianness() !== "LE") throw new Error("TileLoader: .npy data is little-endian; this host is not");
    const split = options.split ?? "train";
    const train = split === "train";
    this.opts = {
      split,
      subset: options.subset ?? 0,
      tile: options.tile ?? 64,
      batchSize: options.batchSize ?? 32,
      shuffle: options.shuffle ?? train,
      flips: options.flips ?? train,
      normalize: options.normalize ?? true,
      withMasks: options.withMasks ?? true,
      seed: options.seed ?? 0,
      dropLast: options.dropLast ?? false,
      rank: options.rank ?? 0,
      worldSize: options.worldSize ?? 1,
      prefetch: options.prefetch ?? 3,
      workers: options.workers ?? 1,
    };
    const o = this.opts;
    const positive = (v: number, name: string) => {
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`TileLoader: ${name} must be a positive integer, got ${v}`);
    };
    positive(o.batchSize, "batchSize");
    positive(o.worldSize, "worldSize");
    positive(o.prefetch, "prefetch");
    positive(o.workers, "workers");
    if (!Number.isInteger(o.rank) || o.rank < 0 || o.rank >= o.worldSize)
      throw new Error(`TileLoader: rank must be an integer in [0, ${o.worldSize}), got ${o.rank}`);
    const m = dataset.meta;
    this.dataset = dataset;
    this.grid = tileGrid(m.height, m.width, o.tile);
    if (split === "all") this.stacks = Array.from({ length: m.count }, (_, i) => i);
    else if (split === "train" || split === "val" || split === "test") this.stacks = m.split[split];
    else throw new Error(`TileLoader: unknown split "${split}" (train, val, test or all)`);
    if (!Number.isInteger(o.subset) || o.subset < 0)
      throw new Error(`TileLoader: subset must be a non-negative integer, got ${o.subset}`);
    if (o.subset > this.stacks.length)
      throw new Error(
        `TileLoader: subset of ${o.subset} asked for, but the ${split} split has only ${this.stacks.length} stacks`,
      );
    if (o.subset > 0)
      this.stacks = shuffleInPlace([...this.stacks], rng(mixSeed(o.seed, SUBSET_STREAM)))
        .slice(0, o.subset)
        .sort((a, b) => a - b);
    this.batchSize = o.batchSize;
    this.numTiles = this.stacks.length * this.grid.perStack;
    const f = dataset.files;
    this.#source = {
      images: f.images,
      masks: o.withMasks ? f.masks : undefined,
      fullMasks: o.withMasks ? f.fullMasks : undefined,
      channels: m.channels,
      height: m.height,
      width: m.width,
      tile: o.tile,
      ...(o.normalize ? { mean: m.stats.mean, std: m.stats.std } : {}),
    };
  }

  /** Tiles this rank sees per epoch. */
  get shardSize(): number {
    const { rank, worldSize, dropLast } = this.opts;
    if (dropLast) return Math.floor(this.numTiles / worldSize);
    return Math.max(0, Math.ceil((this.numTiles - rank) / worldSize));
  }

  get numBatches(): number {
    const n = this.shardSize;
    return this.opts.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Where tile k of this loader's list lies. */
  tileRef(k: number): TileRef {
    return tileAt(this.grid, this.stacks, k);
  }

  /** This rank's tile indices for an epoch, in order, and every tile's flip code. Ranks take
   *  interleaved positions of one shared order, so their shards are disjoint and, without
   *  dropLast, together complete; a tile's flips do not depend on the rank. */
  plan(epoch: number): { order: Int32Array; flips: Uint8Array } {
    const { seed, shuffle, flips, rank, worldSize } = this.opts;
    const all = new Int32Array(this.numTiles);
    for (let i = 0; i < all.length; i++) all[i] = i;
    if (shuffle) shuffleInPlace(all, rng(mixSeed(seed, epoch, 1)));
    const order = new Int32Array(this.shardSize);
    for (let i = 0; i < order.length; i++) order[i] = all[rank + i * worldSize];
    const codes = new Uint8Array(this.numTiles);
    if (flips) {
      const r = rng(mixSeed(seed, epoch, 2));
      for (let i = 0; i < codes.length; i++) codes[i] = (r() < 0.5 ? HFLIP : 0) | (r() < 0.5 ? VFLIP : 0);
    }
    return { order, flips: codes };
  }

  /** The batches of one epoch; the caller owns (and disposes) each batch's tensors. */
  async *epoch(epochIndex: number): AsyncGenerator<TileBatch> {
    if (this.#closed) throw new Error("TileLoader: closed");
    const { order, flips } = this.plan(epochIndex);
    const B = this.batchSize;
    const batches: Int32Array[] = [];
    for (let b = 0; b < this.numBatches; b++)
      batches.push(order.subarray(b * B, Math.min((b + 1) * B, order.length)));
    const pending = new Map<number, Promise<BatchDone>>();
    let next = 0;
    const submit = () => {
      for (; next < batches.length && pending.size < this.opts.prefetch; next++)
        pending.set(next, this.#run(next, batches[next], flips));
    };
    try {
      submit();
      for (let b = 0; b < batches.length; b++) {
        const done = await pending.get(b)!;
        pending.delete(b);
        const batch = this.#toBatch(done, batches[b]);
        submit();
        yield batch;
      }
    } finally {
      // The consumer may stop early: let in-flight batches land so their buffers return to the pool.
      for (const p of pending.values()) await p.then((d) => this.#release(d)).catch(() => {});
    }
  }

  /** Stops the workers; the loader cannot be used afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    const lanes = this.#lanes;
    this.#lanes = [];
    this.#pool = [];
    this.#tensors.dispose();
    await Promise.all(lanes.map((l) => l.worker.terminate()));
  }

  #start(): void {
    if (this.#lanes.length > 0) return;
    for (let i = 0; i < this.opts.workers; i++) {
      const worker = new Worker(new URL("./loader-worker.js", import.meta.url), { workerData: this.#source });
      const lane: Lane = { worker, inflight: 0 };
      worker.unref(); // idle workers never hold the process open
      worker.on("message", (d: BatchDone) => {
        const w = this.#waiting.get(d.id);
        if (!w) return;
        this.#waiting.delete(d.id);
        if (--lane.inflight === 0) worker.unref();
        if (d.error !== undefined) {
          this.#release(d);
          w.reject(new Error(`TileLoader (${this.dataset.dir}): ${d.error}`));
        } else w.resolve(d);
      });
      worker.on("error", (e) => this.#fail(lane, e));
      worker.on("exit", (code) => this.#fail(lane, new Error(`loader worker exited with code ${code}`)));
      this.#lanes.push(lane);
    }
  }

  #fail(lane: Lane, e: Error): void {
    lane.dead ??= new Error(`TileLoader (${this.dataset.dir}): ${e.message}`);
    for (const [id, w] of this.#waiting) {
      if (w.lane !== lane) continue;
      this.#waiting.delete(id);
      w.reject(lane.dead);
    }
    lane.inflight = 0;
  }

  #run(b: number, tiles: Int32Array, flipCodes: Uint8Array): Promise<BatchDone> {
    if (this.#closed) return Promise.reject(new Error("TileLoader: closed"));
    this.#start();
    const refs = new Int32Array(3 * tiles.length);
    const flips = new Uint8Array(tiles.length);
    for (let i = 0; i < tiles.length; i++) {
      const t = this.tileRef(tiles[i]);
      refs.set([t.stack, t.row, t.col], 3 * i);
      flips[i] = flipCodes[tiles[i]];
    }
    const lane = this.#lanes[b % this.#lanes.length];
    if (lane.dead) return Promise.reject(lane.dead);
    const bufs = this.#acquire();
    const job: BatchJob = { id: this.#nextId++, refs, flips, ...bufs };
    return new Promise<BatchDone>((resolve, reject) => {
      this.#waiting.set(job.id, { resolve, reject, lane });
      if (lane.inflight++ === 0) lane.worker.ref();
      const transfer = [bufs.images, bufs.masks, bufs.fullMasks].filter(
        (x): x is ArrayBuffer => x !== undefined,
      );
      lane.worker.postMessage(job, transfer);
    });
  }

  #acquire(): Buffers {
    const got = this.#pool.pop();
    if (got) return got;
    const { channels: C } = this.dataset.meta;
    const { tile: T } = this.opts;
    const B = this.batchSize;
    const s = this.#source;
    return {
      images: new ArrayBuffer(B * C * T * T * 4),
      masks: s.masks && new ArrayBuffer(B * T * T * 8),
      fullMasks: s.fullMasks && new ArrayBuffer(B * T * T * 8),
    };
  }

  #release(d: BatchDone): void {
    if (!this.#closed) this.#pool.push({ images: d.images, masks: d.masks, fullMasks: d.fullMasks });
  }

  #toBatch(d: BatchDone, tiles: Int32Array): TileBatch {
    const { channels: C } = this.dataset.meta;
    const T = this.opts.tile;
    const n = tiles.length;
    const pool = this.#tensors;
    const batch: TileBatch = {
      images: pool.take(new Float32Array(d.images, 0, n * C * T * T), [n, C, T, T], "float32"),
      indices: Array.from(tiles),
    };
    const mask = (buf: ArrayBuffer) => pool.take(new BigInt64Array(buf, 0, n * T * T), [n, T, T], "int64");
    if (d.masks) batch.masks = mask(d.masks);
    if (d.fullMasks) batch.fullMasks = mask(d.fullMasks);
    this.#release(d);
    return batch;
  }
}
