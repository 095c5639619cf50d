// Tensor factories, joining, RNG and device queries.
import type { Device, DType, TypedArray } from "./dtype.js";
import { dtypeOf } from "./dtype.js";
import { N } from "./native.js";
import type { CpuCacheStats } from "./ops.js";
import { Tensor } from "./tensor.js";

export interface Options {
  dtype?: DType;
  device?: Device | string;
}

const shapeOf = (s: number | number[]): number[] => (typeof s === "number" ? [s] : s);

/** A new CPU tensor holding a copy of data (its dtype follows the array unless given). */
export function tensor(data: TypedArray | number[], shape?: number[], dtype?: DType): Tensor {
  const arr: TypedArray = Array.isArray(data) ? Float32Array.from(data) : data;
  const dt = dtype ?? dtypeOf(arr);
  if (Array.isArray(data) && dt !== "float32") {
    const f = tensor(arr, shape ?? [arr.length], "float32");
    try {
      return f.to(dt);
    } finally {
      f.dispose();
    }
  }
  return new Tensor(N.fromBuffer(arr, shape ?? [arr.length], dt));
}

/** A 0-d tensor. */
export function scalarTensor(v: number, opts: Options = {}): Tensor {
  return full([], v, opts);
}

export function empty(shape: number | number[], o: Options = {}): Tensor {
  return new Tensor(N.empty(shapeOf(shape), o.dtype, o.device));
}
export function zeros(shape: number | number[], o: Options = {}): Tensor {
  return new Tensor(N.zeros(shapeOf(shape), o.dtype, o.device));
}
export function ones(shape: number | number[], o: Options = {}): Tensor {
  return new Tensor(N.ones(shapeOf(shape), o.dtype, o.device));
}
export function full(shape: number | number[], value: number, o: Options = {}): Tensor {
  return new Tensor(N.full(shapeOf(shape), value, o.dtype, o.device));
}
const like = (t: Tensor, o: Options): Options => ({
  dtype: o.dtype ?? t.dtype,
  device: o.device ?? t.device,
});
export function zerosLike(t: Tensor, o: Options = {}): Tensor {
  return zeros(t.shape, like(t, o));
}
export function onesLike(t: Tensor, o: Options = {}): Tensor {
  return ones(t.shape, like(t, o));
}
export function fullLike(t: Tensor, value: number, o: Options = {}): Tensor {
  return full(t.shape, value, like(t, o));
}
/** Uniform in [0, 1). */
export function rand(shape: number | number[], o: Options = {}): Tensor {
  return new Tensor(N.rand(shapeOf(shape), o.dtype, o.device));
}
export function randn(shape: number | number[], o: Options = {}): Tensor {
  return new Tensor(N.randn(shapeOf(shape), o.dtype, o.device));
}
/** Integers in [low, high). */
export function randint(low: number, high: number, shape: number | number[], o: Options = {}): Tensor {
  return new Tensor(N.randint(low, high, shapeOf(shape), o.dtype ?? "int64", o.device));
}
export function randperm(n: number, o: Options = {}): Tensor {
  return new Tensor(N.randperm(n, "int64", o.device));
}
export function arange(start: number, end?: number, step = 1, o: Options = {}): Tensor {
  const [s, e] = end === undefined ? [0, start] : [start, end];
  const dt =
    o.dtype ?? (Number.isInteger(s) && Number.isInteger(e) && Number.isInteger(step) ? "int64" : "float32");
  return new Tensor(N.arange(s, e, step, dt, o.device));
}
export function linspace(start: number, end: number, steps: number, o: Options = {}): Tensor {
  return new Tensor(N.linspace(start, end, steps, o.dtype, o.device));
}
export function eye(n: number, o: Options = {}): Tensor {
  return new Tensor(N.eye(n, o.dtype, o.device));
}

export function cat(ts: Tensor[], dim = 0): Tensor {
  return new Tensor(
    N.cat(
      ts.map((t) => t.handle),
      dim,
    ),
  );
}
export function stack(ts: Tensor[], dim = 0): Tensor {
  return new Tensor(
    N.stack(
      ts.map((t) => t.handle),
      dim,
    ),
  );
}
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const ref = typeof a === "number" ? (typeof b === "number" ? null : b) : a;
  const ta = typeof a === "number" ? scalarTensor(a, { dtype: ref?.dtype, device: cond.device }) : a;
  const tb = typeof b === "number" ? scalarTensor(b, { dtype: ref?.dtype, device: cond.device }) : b;
  try {
    return new Tensor(N.where(cond.handle, ta.handle, tb.handle));
  } finally {
    if (ta !== a) ta.dispose();
    if (tb !== b) tb.dispose();
  }
}
export function einsum(equation: string, ...ts: Tensor[]): Tensor {
  return new Tensor(
    N.einsum(
      equation,
      ts.map((t) => t.handle),
    ),
  );
}
export function outer(a: Tensor, b: Tensor): Tensor {
  return new Tensor(N.outer(a.handle, b.handle));
}
export function bincount(t: Tensor, minlength = 0, weights?: Tensor): Tensor {
  return new Tensor(N.bincount(t.handle, weights?.handle ?? null, minlength));
}
export function allclose(a: Tensor, b: Tensor, rtol = 1e-5, atol = 1e-8): boolean {
  return N.allclose(a.handle, b.handle, rtol, atol);
}

/** Reads a tensor's bytes from a file at offset (one copy, straight into the tensor). */
export function fromFile(path: string, offset: number, shape: number[], dtype: DType): Tensor {
  return new Tensor(N.readFile(path, offset, shape, dtype));
}
/** A tensor over a memory-mapped file region; pages load on demand; writes stay private (copy-on-write). */
export function mmapFile(path: string, offset: number, shape: number[], dtype: DType): Tensor {
  return new Tensor(N.mmapFile(path, offset, shape, dtype));
}

export function manualSeed(seed: number): void {
  N.manualSeed(seed);
}
export function setNumThreads(n: number): void {
  N.setNumThreads(n);
}
export function getNumThreads(): number {
  return N.getNumThreads();
}
/**
 * Which GEMMs run CPU float32 linear layers, forward and backward: "onednn" (the default where
 * libtorch has it; faster than MKL's sgemm on AMD CPUs) or "aten" (at::linear, as eager PyTorch;
 * also the environment's HEMOSEG_ONEDNN_LINEAR=0). With an argument, switches and returns it.
 */
export function linearBackend(set?: "onednn" | "aten"): "onednn" | "aten" {
  return N.linearBackend(set ?? null) as "onednn" | "aten";
}
export function liveTensors(): number {
  return N.liveTensors();
}
/**
 * The caching CPU allocator's counters: live and cached bytes, hits and misses (freed blocks of
 * 64 KiB and more are kept for reuse; HEMOSEG_CPU_CACHE_MB caps them, 0 turns the cache off).
 */
export function cpuCacheStats(): CpuCacheStats {
  return N.cpuCacheStats();
}
/** Frees every cached CPU block back to the OS (live tensors are untouched). */
export function emptyCpuCache(): void {
  N.emptyCpuCache();
}
export const cuda = {
  isAvailable: (): boolean => N.cudaIsAvailable(),
  deviceCount: (): number => N.cudaDeviceCount(),
  synchronize: (): void => N.cudaSynchronize(),
};
