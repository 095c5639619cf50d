// torch.distributed for hemoseg: a c10d process group (TCPStore rendezvous, Gloo on CPU, NCCL on
// CUDA) set up from torchrun's environment, with all-reduce, broadcast and barrier. The collectives
// run on a native worker thread and resolve a promise; one runs at a time per group, in call order,
// so every rank issues them in the same order.
import { tensor } from "./creation.js";
import { N } from "./native.js";
import type { GroupHandle, ReducerHandle } from "./ops.js";
import type { Tensor } from "./tensor.js";

/** Where this process sits, as torchrun (or `hemoseg --nproc`) describes it in the environment. */
export interface DistEnv {
  rank: number;
  worldSize: number;
  localRank: number;
  localWorldSize: number;
  masterAddr: string;
  masterPort: number;
}

export type Backend = "gloo" | "nccl";
export type ReduceOp = "sum" | "avg";

/** Default time a rendezvous or a collective may take before it fails (c10d's default is 30 min). */
export const DEFAULT_TIMEOUT_MS = 1_800_000;
/** Bytes per all-reduce bucket (DDP's default, 25 MiB). */
export const DEFAULT_BUCKET_BYTES = 25 << 20;
/**
 * Bytes per bucket of the gradient reducer: small enough that the first buckets start while
 * backward still has most of the model to go, large enough that one all-reduce is not all latency.
 */
export const REDUCER_BUCKET_BYTES = 1 << 20;

/** Gradients averaged over the ranks while backward runs (ProcessGroup.gradientReducer). */
export interface GradientReducer {
  /**
   * After each backward: waits for the buckets (starting what is left); .grad holds the means.
   * Resolves with how many of the buckets backward had started itself (all: fully overlapped).
   */
  finish(): Promise<{ overlapped: number; buckets: number }>;
  /** Removes the hooks; the reducer does nothing after it. */
  detach(): void;
}

function intVar(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`distributed: ${name}=${v} is not an integer >= ${min}`);
  return n;
}

/**
 * Reads RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT as torchrun
 * sets them; undefined when WORLD_SIZE is unset (a plain single process). Bad values throw.
 */
export function distEnv(env: NodeJS.ProcessEnv = process.env): DistEnv | undefined {
  const worldSize = intVar(env, "WORLD_SIZE", 1);
  if (worldSize === undefined) return undefined;
  const rank = intVar(env, "RANK", 0) ?? 0;
  if (rank >= worldSize) throw new Error(`distributed: RANK=${rank} is not below WORLD_SIZE=${worldSize}`);
  const localRank = intVar(env, "LOCAL_RANK", 0) ?? rank;
  const localWorldSize = intVar(env, "LOCAL_WORLD_SIZE", 1) ?? worldSize;
  const masterAddr = env.MASTER_ADDR || "127.0.0.1";
  const masterPort = intVar(env, "MASTER_PORT", 1) ?? 29500;
  if (masterPort > 65535) throw new Error(`distributed: MASTER_PORT=${masterPort} is not a port`);
  return { rank, worldSize, localRank, localWorldSize, masterAddr, masterPort };
}

/** The backends this addon was built with. */
export function backends(): { gloo: boolean; nccl: boolean } {
  return N.distBackends();
}

export interface InitOptions {
  backend?: Backend;
  timeoutMs?: number;
  /** CUDA device of this rank for NCCL (default: LOCAL_RANK). */
  cudaIndex?: number;
}

/** A c10d process group: this rank's view of the group of ranks that train together. */
export class ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  readonly backend: Backend;
  readonly timeoutMs: number;
  #handle: GroupHandle | undefined;
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(
    handle: GroupHandle,
    rank: number,
    worldSize: number,
    backend: Backend,
    timeoutMs: number,
  ) {
    this.#handle = handle;
    this.rank = rank;
    this.worldSize = worldSize;
    this.backend = backend;
    this.timeoutMs = timeoutMs;
  }

  /** Joins the group: rank 0 hosts the TCPStore at masterAddr:masterPort, the others connect. */
  static async init(env: DistEnv, o: InitOptions = {}): Promise<ProcessGroup> {
    const backend = o.backend ?? "gloo";
    const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const h = await N.distInit(
      backend,
      env.rank,
      env.worldSize,
      env.masterAddr,
      env.masterPort,
      timeoutMs,
      backend === "nccl" ? (o.cudaIndex ?? env.localRank) : undefined,
    );
    return new ProcessGroup(h, env.rank, env.worldSize, backend, timeoutMs);
  }

  #live(): GroupHandle {
    if (!this.#handle) throw new Error(`distributed rank ${this.rank}: the process group was destroyed`);
    return this.#handle;
  }

  // Chains every call after the previous one, so collectives leave in call order.
  #enqueue(fn: () => Promise<void>): Promise<void> {
    return this.#enqueueValue(fn);
  }
  #enqueueValue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(fn, fn);
    this.#tail = next.catch(() => undefined);
    return next;
  }

  /** Reduces each tensor in place across ranks (sum, or mean), flattened into buckets. */
  allReduce(tensors: Tensor[], op: ReduceOp = "sum", bucketBytes = DEFAULT_BUCKET_BYTES): Promise<void> {
    const handles = tensors.map((t) => t.handle);
    return this.#enqueue(() => N.distAllReduce(this.#live(), handles, op, bucketBytes));
  }

  /** Overwrites each tensor in place with root's. */
  broadcast(tensors: Tensor[], root = 0, bucketBytes = DEFAULT_BUCKET_BYTES): Promise<void> {
    const handles = tensors.map((t) => t.handle);
    return this.#enqueue(() => N.distBroadcast(this.#live(), handles, root, bucketBytes));
  }

  /**
   * Averages the gradients of params over the ranks as backward produces them, the way DDP does:
   * a hook per parameter fills buckets (in reverse parameter order) and each full bucket starts its
   * all-reduce while backward goes on; finish() after each backward completes it. Parameters frozen
   * now (requiresGrad false) get no hook: finish() averages their .grad when they have one.
   */
  gradientReducer(params: Tensor[], bucketBytes = REDUCER_BUCKET_BYTES): GradientReducer {
    const h: ReducerHandle = N.distReducer(
      this.#live(),
      params.map((p) => p.handle),
      bucketBytes,
    );
    let attached = true;
    return {
      finish: () => this.#enqueueValue(() => N.distReducerFinish(h)),
      detach: () => {
        if (attached) N.distReducerDetach(h);
        attached = false;
      },
    };
  }

  /** Resolves once every rank has called it. */
  barrier(): Promise<void> {
    return this.#enqueue(() => N.distBarrier(this.#live()));
  }

  /** Reduces plain numbers across ranks (as float64). */
  async allReduceNumbers(values: number[], op: ReduceOp = "sum"): Promise<number[]> {
    const t = tensor(Float64Array.from(values));
    try {
      await this.allReduce([t], op);
      return t.toArray();
    } finally {
      t.dispose();
    }
  }

  /** Leaves the group (after the pending collectives); idempotent. */
  async destroy(): Promise<void> {
    await this.#tail;
    if (this.#handle) N.distDestroy(this.#handle);
    this.#handle = undefined;
  }
}
