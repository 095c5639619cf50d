// Data parallel training over a c10d process group, the way PyTorch's DDP does it: parameters and
// buffers broadcast from rank 0 at the start, gradients averaged across ranks in buckets after
// backward, each rank on its shard of every epoch, metrics reduced, rank 0 alone writes.

import {
  type Backend,
  DEFAULT_TIMEOUT_MS,
  type DistEnv,
  distEnv,
  type GradientReducer,
  ProcessGroup,
} from "../torch/distributed.js";
import { type Device, type nn, type Tensor, tensor } from "../torch/index.js";

/**
 * Whether this process holds the run directory (checks, locks and writes it): a single process,
 * or rank 0 of a data parallel run. Read from torchrun's environment, before the group is joined.
 */
export function holdsRunDir(env = process.env): boolean {
  const de = distEnv(env);
  return !de || de.rank === 0;
}

export class DataParallel {
  readonly pg: ProcessGroup;
  readonly env: DistEnv;

  private constructor(pg: ProcessGroup, env: DistEnv) {
    this.pg = pg;
    this.env = env;
  }

  /**
   * Joins the process group torchrun's environment describes (Gloo on CPU, NCCL on CUDA);
   * undefined for a single process (no WORLD_SIZE, or WORLD_SIZE=1). The timeout (default 30 min,
   * HEMOSEG_DIST_TIMEOUT_S) bounds the rendezvous and every collective.
   */
  static async fromEnv(device: "cpu" | "cuda", env = process.env): Promise<DataParallel | undefined> {
    const de = distEnv(env);
    if (!de || de.worldSize === 1) return undefined;
    const backend: Backend = device === "cuda" ? "nccl" : "gloo";
    const t = env.HEMOSEG_DIST_TIMEOUT_S;
    const timeoutMs = t ? Number(t) * 1000 : DEFAULT_TIMEOUT_MS;
    if (!(timeoutMs >= 100)) throw new Error(`HEMOSEG_DIST_TIMEOUT_S=${t} is not a number of seconds >= 0.1`);
    const pg = await ProcessGroup.init(de, { backend, timeoutMs, cudaIndex: de.localRank });
    return new DataParallel(pg, de);
  }

  get rank(): number {
    return this.env.rank;
  }
  get worldSize(): number {
    return this.env.worldSize;
  }

  /** This rank's device: local rank k on GPU k. */
  device(base: "cpu" | "cuda"): Device {
    return base === "cuda" ? `cuda:${this.env.localRank}` : "cpu";
  }

  /** Per-rank batch size for a global batch size; refuses one that does not split evenly. */
  localBatch(globalBatch: number, what: string): number {
    if (globalBatch % this.worldSize !== 0)
      throw new Error(
        `${what} ${globalBatch} is the global batch and must divide evenly among ${this.worldSize} ranks`,
      );
    return globalBatch / this.worldSize;
  }

  /** Every rank takes rank 0's parameters and buffers. */
  async broadcastModule(m: nn.Module): Promise<void> {
    await this.pg.broadcast([...m.parameters(), ...m.namedBuffers().map(([, t]) => t)], 0);
  }

  /**
   * What averages the gradients of params over the ranks after each backward: by default the
   * all-reduces overlap backward (GradientReducer); with HEMOSEG_DIST_OVERLAP=0 they all start
   * after it (one bucketed all-reduce), e.g. to measure what the overlap gains.
   */
  gradientAverager(params: Tensor[], env = process.env): GradientReducer {
    if (env.HEMOSEG_DIST_OVERLAP !== "0") return this.pg.gradientReducer(params);
    return {
      finish: async () => {
        const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
        try {
          await this.pg.allReduce(grads, "avg");
        } finally {
          for (const g of grads) g.dispose();
        }
        return { overlapped: 0, buckets: 1 };
      },
      detach: () => undefined,
    };
  }

  /** Sums of (loss x count, count) over the ranks, as a weighted mean. */
  async weightedMean(mean: number, n: number): Promise<{ loss: number; n: number }> {
    const [s, total] = await this.pg.allReduceNumbers([n ? mean * n : 0, n], "sum");
    return { loss: total ? s / total : Number.NaN, n: total };
  }

  barrier(): Promise<void> {
    return this.pg.barrier();
  }

  /** The rows r, r + W, r + 2W, ... below rows: this rank's positions in a global batch. */
  rowsOf(rows: number): Tensor {
    const idx: number[] = [];
    for (let i = this.rank; i < rows; i += this.worldSize) idx.push(i);
    return tensor(BigInt64Array.from(idx, BigInt));
  }

  close(): Promise<void> {
    return this.pg.destroy();
  }
}
