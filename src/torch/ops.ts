// The native addon's operations, each declared once: the TypeScript side is checked against this
// interface, and a test checks that the addon exports exactly these names (native/ops_*.cpp,
// one OP(name) each; BINARY(name) in ops_math.cpp makes `name` (tensor, tensor) and `nameS`
// (tensor, scalar)). Parameters are positional as the C++ reads them: t = tensor handle,
// n = number, ints = integer list, flag = boolean, s = string, the digit its position.
import type { DType } from "./dtype.js";

/** Opaque reference to one native tensor. */
export type Handle = { readonly __handle: unique symbol };

/** Opaque reference to one c10d process group (native/ops_dist.cpp). */
export type GroupHandle = { readonly __group: unique symbol };
/** Opaque reference to one gradient reducer (hooks averaging gradients during backward). */
export type ReducerHandle = { readonly __reducer: unique symbol };

/** batchNorm and instanceNorm: input, weight, bias, running mean and var, training, momentum, eps. */
type NormOp = (
  t0: Handle,
  t1: Handle | null | undefined,
  t2: Handle | null | undefined,
  t3: Handle | null | undefined,
  t4: Handle | null | undefined,
  flag5: boolean,
  n6: number,
  n7: number,
) => Handle;

/** The caching CPU allocator's counters (native/alloc_cpu.cpp); all zero when it is off. */
export interface CpuCacheStats {
  /** False when HEMOSEG_CPU_CACHE_MB=0 left libtorch's own allocator in place. */
  enabled: boolean;
  /** The most bytes the free list may hold. */
  limitBytes: number;
  /** Bytes held by live allocations (blocks of 64 KiB and more at their 4 KiB-rounded size). */
  allocatedBytes: number;
  peakAllocatedBytes: number;
  /** Bytes of freed blocks kept for reuse, and how many blocks. */
  cachedBytes: number;
  cachedBlocks: number;
  /** Requests of 64 KiB and more served from the free list, and those that were not. */
  hits: number;
  misses: number;
  /** Cached blocks freed to the OS to stay under limitBytes. */
  evictions: number;
}

export interface NativeOps {
  readonly torchVersion: string;
  abs(t0: Handle): Handle;
  adamStep(
    ts0: Handle[],
    ts1: Handle[],
    ts2: Handle[],
    ts3: Handle[],
    n4: number,
    n5: number,
    n6: number,
    n7: number,
    n8: number,
    flag9: boolean,
  ): void;
  adaptiveAvgPool2d(t0: Handle, ints1: number[]): Handle;
  add(t0: Handle, t1: Handle, n2?: number | null): Handle;
  add_(t0: Handle, t1: Handle, n2?: number | null): void;
  addS(t0: Handle, n1: number): Handle;
  addS_(t0: Handle, n1: number): void;
  all(t0: Handle): Handle;
  allclose(t0: Handle, t1: Handle, n2: number, n3: number): boolean;
  amax(t0: Handle, ints1?: number[] | null, flag2?: boolean | null): Handle;
  amin(t0: Handle, ints1?: number[] | null, flag2?: boolean | null): Handle;
  any(t0: Handle): Handle;
  arange(n0: number, n1: number, n2: number, dtype3?: DType | null, s4?: string | null): Handle;
  argmax(t0: Handle, n1?: number | null, flag2?: boolean | null): Handle;
  argmin(t0: Handle, n1?: number | null, flag2?: boolean | null): Handle;
  argsort(t0: Handle, n1: number, flag2: boolean, flag3?: boolean | null): Handle;
  autocastEnter(s0: string, dtype1: DType): boolean;
  autocastExit(s0: string, flag1: boolean): void;
  avgPool2d(
    t0: Handle,
    ints1: number[],
    ints2: number[],
    ints3: number[],
    flag4: boolean,
    flag5: boolean,
  ): Handle;
  backward(t0: Handle, t1?: Handle | null, flag2?: boolean | null): void;
  batchNorm: NormOp;
  bincount(t0: Handle, t1?: Handle | null, n2?: number | null): Handle;
  bmm(t0: Handle, t1: Handle): Handle;
  cat(ts0: Handle[], n1: number): Handle;
  ceil(t0: Handle): Handle;
  chunk(t0: Handle, n1: number, n2: number): Handle[];
  clamp(t0: Handle, n1?: number | null, n2?: number | null): Handle;
  clamp_(t0: Handle, n1?: number | null, n2?: number | null): void;
  clipGradNorm(ts0: Handle[], n1: number): number;
  clone(t0: Handle): Handle;
  contiguous(t0: Handle): Handle;
  conv2d(
    input: Handle,
    weight: Handle,
    bias: Handle | null | undefined,
    stride: number[],
    padding: number[],
    dilation: number[],
    groups: number,
  ): Handle;
  /** at::conv_transpose2d's order: output padding before groups, dilation last. */
  convTranspose2d(
    input: Handle,
    weight: Handle,
    bias: Handle | null | undefined,
    stride: number[],
    padding: number[],
    outputPadding: number[],
    groups: number,
    dilation: number[],
  ): Handle;
  copy_(t0: Handle, t1: Handle): void;
  copyFromBuffer(t0: Handle, bytes1: ArrayBufferView): void;
  cos(t0: Handle): Handle;
  crossEntropy(
    t0: Handle,
    t1: Handle,
    t2: Handle | null | undefined,
    s3: string,
    n4: number,
    n5: number,
  ): Handle;
  cpuCacheStats(): CpuCacheStats;
  cudaDeviceCount(): number;
  cudaIsAvailable(): boolean;
  cudaSynchronize(): void;
  cumsum(t0: Handle, n1: number): Handle;
  detach(t0: Handle): Handle;
  device(t0: Handle): string;
  dispose(t0: Handle): void;
  /** Reduces tensors in place across the group: group, tensors, op, bytes per bucket. */
  distAllReduce(g0: GroupHandle, ts1: Handle[], s2: "sum" | "avg", n3?: number | null): Promise<void>;
  /** The c10d backends this addon was built with. */
  distBackends(): { gloo: boolean; nccl: boolean };
  /** Resolves once every rank of the group has reached it. */
  distBarrier(g0: GroupHandle): Promise<void>;
  /** Tensors in place to root's: group, tensors, root rank, bytes per bucket. */
  distBroadcast(g0: GroupHandle, ts1: Handle[], n2: number, n3?: number | null): Promise<void>;
  /** Leaves the group (idempotent). */
  distDestroy(g0: GroupHandle): void;
  /** Joins a group: backend, rank, world size, master address and port, timeout (ms), CUDA index. */
  distInit(
    s0: "gloo" | "nccl",
    n1: number,
    n2: number,
    s3: string,
    n4: number,
    n5: number,
    n6?: number | null,
  ): Promise<GroupHandle>;
  /** Hooks on parameters that average their gradients while backward runs: group, params, bytes per bucket. */
  distReducer(g0: GroupHandle, ts1: Handle[], n2?: number | null): ReducerHandle;
  /** Removes the reducer's hooks (idempotent). */
  distReducerDetach(r0: ReducerHandle): void;
  /** After backward: every parameter's gradient becomes its mean; how many buckets backward started. */
  distReducerFinish(r0: ReducerHandle): Promise<{ overlapped: number; buckets: number }>;
  div(t0: Handle, t1: Handle, n2?: number | null): Handle;
  divS(t0: Handle, n1: number): Handle;
  dropout(t0: Handle, n1: number, flag2: boolean): Handle;
  dtype(t0: Handle): DType;
  einsum(s0: string, ts1: Handle[]): Handle;
  embedding(t0: Handle, t1: Handle): Handle;
  empty(ints0: number[], dtype1?: DType | null, s2?: string | null): Handle;
  emptyCpuCache(): void;
  eq(t0: Handle, t1: Handle, n2?: number | null): Handle;
  eqS(t0: Handle, n1: number): Handle;
  erf(t0: Handle): Handle;
  erfinv(t0: Handle): Handle;
  erfinv_(t0: Handle): void;
  exp(t0: Handle): Handle;
  expand(t0: Handle, ints1: number[]): Handle;
  eye(n0: number, dtype1?: DType | null, s2?: string | null): Handle;
  fill_(t0: Handle, n1: number): void;
  flatten(t0: Handle, n1: number, n2: number): Handle;
  flip(t0: Handle, ints1: number[]): Handle;
  floor(t0: Handle): Handle;
  floorDivide(t0: Handle, t1: Handle): Handle;
  floorDivideS(t0: Handle, n1: number): Handle;
  fromBuffer(bytes0: ArrayBufferView, ints1: number[], dtype2: DType): Handle;
  full(ints0: number[], n1: number, dtype2?: DType | null, s3?: string | null): Handle;
  /** adamStep's contract; libtorch's fused kernel for CPU float32 parameters (ops_optim.cpp). */
  fusedAdamStep(
    ts0: Handle[],
    ts1: Handle[],
    ts2: Handle[],
    ts3: Handle[],
    n4: number,
    n5: number,
    n6: number,
    n7: number,
    n8: number,
    flag9: boolean,
  ): void;
  gather(t0: Handle, n1: number, t2: Handle): Handle;
  ge(t0: Handle, t1: Handle, n2?: number | null): Handle;
  gelu(t0: Handle, s1?: string | null): Handle;
  geS(t0: Handle, n1: number): Handle;
  getNumThreads(): number;
  grad(t0: Handle): Handle | null;
  groupNorm(
    input: Handle,
    groups: number,
    weight: Handle | null | undefined,
    bias: Handle | null | undefined,
    eps: number,
  ): Handle;
  gt(t0: Handle, t1: Handle, n2?: number | null): Handle;
  gtS(t0: Handle, n1: number): Handle;
  hasFusedAttention(): boolean;
  index(t0: Handle, indices1: (Handle | null)[]): Handle;
  indexPut_(t0: Handle, indices1: (Handle | null)[], t2: Handle, flag3?: boolean | null): void;
  indexSelect(t0: Handle, n1: number, t2: Handle): Handle;
  instanceNorm: NormOp;
  interpolate(t0: Handle, ints1: number[], s2: string, flag3?: boolean | null): Handle;
  isDisposed(t0: Handle): boolean;
  isfinite(t0: Handle): Handle;
  isGradEnabled(): boolean;
  isLeaf(t0: Handle): boolean;
  isnan(t0: Handle): Handle;
  item(t0: Handle): number;
  l1Loss(t0: Handle, t1: Handle, s2: string): Handle;
  layerNorm(
    input: Handle,
    normalizedShape: number[],
    weight: Handle | null | undefined,
    bias: Handle | null | undefined,
    eps: number,
  ): Handle;
  le(t0: Handle, t1: Handle, n2?: number | null): Handle;
  leakyRelu(t0: Handle, n1: number): Handle;
  leS(t0: Handle, n1: number): Handle;
  linear(t0: Handle, t1: Handle, t2?: Handle | null): Handle;
  linearBackend(s0?: string | null): string;
  linspace(n0: number, n1: number, n2: number, dtype3?: DType | null, s4?: string | null): Handle;
  liveTensors(): number;
  log(t0: Handle): Handle;
  log1p(t0: Handle): Handle;
  logicalAnd(t0: Handle, t1: Handle): Handle;
  logicalNot(t0: Handle): Handle;
  logicalOr(t0: Handle, t1: Handle): Handle;
  logSoftmax(t0: Handle, n1: number): Handle;
  logsumexp(t0: Handle, ints1: number[], flag2?: boolean | null): Handle;
  lt(t0: Handle, t1: Handle, n2?: number | null): Handle;
  ltS(t0: Handle, n1: number): Handle;
  manualSeed(n0: number): void;
  maskedFill(t0: Handle, t1: Handle, n2: number): Handle;
  maskedSelect(t0: Handle, t1: Handle): Handle;
  matmul(t0: Handle, t1: Handle): Handle;
  maxDim(t0: Handle, n1: number, flag2?: boolean | null): Handle[];
  maximum(t0: Handle, t1: Handle, n2?: number | null): Handle;
  maximumS(t0: Handle, n1: number): Handle;
  maxPool2d(
    t0: Handle,
    ints1: number[],
    ints2: number[],
    ints3: number[],
    ints4: number[],
    flag5: boolean,
  ): Handle;
  mean(t0: Handle, ints1?: number[] | null, flag2?: boolean | null): Handle;
  minDim(t0: Handle, n1: number, flag2?: boolean | null): Handle[];
  minimum(t0: Handle, t1: Handle, n2?: number | null): Handle;
  minimumS(t0: Handle, n1: number): Handle;
  mm(t0: Handle, t1: Handle): Handle;
  mmapFile(s0: string, n1: number, ints2: number[], dtype3: DType): Handle;
  mseLoss(t0: Handle, t1: Handle, s2: string): Handle;
  mul(t0: Handle, t1: Handle, n2?: number | null): Handle;
  mulS(t0: Handle, n1: number): Handle;
  mulScalar_(t0: Handle, n1: number): void;
  narrow(t0: Handle, n1: number, n2: number, n3: number): Handle;
  ne(t0: Handle, t1: Handle, n2?: number | null): Handle;
  neg(t0: Handle): Handle;
  neS(t0: Handle, n1: number): Handle;
  nllLoss(t0: Handle, t1: Handle, t2: Handle | null | undefined, s3: string, n4: number): Handle;
  norm(t0: Handle, n1: number, ints2?: number[] | null, flag3?: boolean | null): Handle;
  normal_(t0: Handle, n1: number, n2: number): void;
  oneHot(t0: Handle, n1?: number | null): Handle;
  ones(ints0: number[], dtype1?: DType | null, s2?: string | null): Handle;
  outer(t0: Handle, t1: Handle): Handle;
  pad(t0: Handle, ints1: number[], s2: string, n3?: number | null): Handle;
  permute(t0: Handle, ints1: number[]): Handle;
  pow(t0: Handle, t1: Handle, n2?: number | null): Handle;
  powS(t0: Handle, n1: number): Handle;
  prod(t0: Handle, n1?: number | null, flag2?: boolean | null): Handle;
  /** libtorch's op profiler (native/ops_profile.cpp): start recording CPU ops. */
  profilerStart(): void;
  /** Stop it: per-op calls, inclusive and self nanoseconds, largest self time first. */
  profilerStop(): { name: string; calls: number; totalNs: number; selfNs: number }[];
  rand(ints0: number[], dtype1?: DType | null, s2?: string | null): Handle;
  randint(n0: number, n1: number, ints2: number[], dtype3?: DType | null, s4?: string | null): Handle;
  randn(ints0: number[], dtype1?: DType | null, s2?: string | null): Handle;
  randperm(n0: number, dtype1?: DType | null, s2?: string | null): Handle;
  rdivS(t0: Handle, n1: number): Handle;
  readFile(s0: string, n1: number, ints2: number[], dtype3: DType): Handle;
  reciprocal(t0: Handle): Handle;
  relu(t0: Handle): Handle;
  remainder(t0: Handle, t1: Handle, n2?: number | null): Handle;
  remainderS(t0: Handle, n1: number): Handle;
  repeat(t0: Handle, ints1: number[]): Handle;
  requiresGrad(t0: Handle): boolean;
  reshape(t0: Handle, ints1: number[]): Handle;
  retainGrad(t0: Handle): void;
  roll(t0: Handle, ints1: number[], ints2: number[]): Handle;
  round(t0: Handle): Handle;
  rsqrt(t0: Handle): Handle;
  rsubS(t0: Handle, n1: number): Handle;
  scatter(t0: Handle, n1: number, t2: Handle, t3: Handle): Handle;
  scatterAdd(t0: Handle, n1: number, t2: Handle, t3: Handle): Handle;
  scatterValue(t0: Handle, n1: number, t2: Handle, n3: number): Handle;
  sdpa(
    t0: Handle,
    t1: Handle,
    t2: Handle,
    t3: Handle | null | undefined,
    n4: number,
    flag5: boolean,
    n6?: number | null,
  ): Handle;
  select(t0: Handle, n1: number, n2: number): Handle;
  setData(t0: Handle, t1: Handle): void;
  setGrad(t0: Handle, t1?: Handle | null): void;
  setGradEnabled(flag0: boolean): void;
  setNumThreads(n0: number): void;
  setRequiresGrad(t0: Handle, flag1: boolean): void;
  shape(t0: Handle): number[];
  sigmoid(t0: Handle): Handle;
  sign(t0: Handle): Handle;
  silu(t0: Handle): Handle;
  sin(t0: Handle): Handle;
  slice(t0: Handle, n1: number, n2?: number | null, n3?: number | null, n4?: number | null): Handle;
  softmax(t0: Handle, n1: number): Handle;
  sort(t0: Handle, n1: number, flag2: boolean, flag3?: boolean | null): Handle[];
  split(t0: Handle, n1: number, n2: number): Handle[];
  splitSizes(t0: Handle, ints1: number[], n2: number): Handle[];
  sqrt(t0: Handle): Handle;
  square(t0: Handle): Handle;
  squeeze(t0: Handle, n1?: number | null): Handle;
  stack(ts0: Handle[], n1: number): Handle;
  std(t0: Handle, ints1: number[] | null | undefined, flag2: boolean, flag3?: boolean | null): Handle;
  storageUseCount(t0: Handle): number;
  sub(t0: Handle, t1: Handle, n2?: number | null): Handle;
  subS(t0: Handle, n1: number): Handle;
  sum(t0: Handle, ints1?: number[] | null, flag2?: boolean | null, dtype3?: DType | null): Handle;
  tanh(t0: Handle): Handle;
  toBuffer(t0: Handle): ArrayBuffer;
  toDevice(t0: Handle, s1: string, flag2?: boolean | null): Handle;
  toDtype(t0: Handle, dtype1: DType): Handle;
  topk(t0: Handle, n1: number, n2: number, flag3: boolean, flag4?: boolean | null): Handle[];
  transpose(t0: Handle, n1: number, n2: number): Handle;
  unbind(t0: Handle, n1: number): Handle[];
  uniform_(t0: Handle, n1: number, n2: number): void;
  unsqueeze(t0: Handle, n1: number): Handle;
  var(t0: Handle, ints1: number[] | null | undefined, flag2: boolean, flag3?: boolean | null): Handle;
  view(t0: Handle, ints1: number[]): Handle;
  where(t0: Handle, t1: Handle, t2: Handle): Handle;
  zero_(t0: Handle): void;
  zeroGrad(ts0: Handle[], flag1: boolean): void;
  zeros(ints0: number[], dtype1?: DType | null, s2?: string | null): Handle;
}

/** Every op name, so a test can hold the addon's exports against the interface. */
export const NATIVE_OPS = Object.keys({
  abs: 1,
  adamStep: 1,
  adaptiveAvgPool2d: 1,
  add: 1,
  add_: 1,
  addS: 1,
  addS_: 1,
  all: 1,
  allclose: 1,
  amax: 1,
  amin: 1,
  any: 1,
  arange: 1,
  argmax: 1,
  argmin: 1,
  argsort: 1,
  autocastEnter: 1,
  autocastExit: 1,
  avgPool2d: 1,
  backward: 1,
  batchNorm: 1,
  bincount: 1,
  bmm: 1,
  cat: 1,
  ceil: 1,
  chunk: 1,
  clamp: 1,
  clamp_: 1,
  clipGradNorm: 1,
  clone: 1,
  contiguous: 1,
  conv2d: 1,
  convTranspose2d: 1,
  copy_: 1,
  copyFromBuffer: 1,
  cos: 1,
  crossEntropy: 1,
  cpuCacheStats: 1,
  cudaDeviceCount: 1,
  cudaIsAvailable: 1,
  cudaSynchronize: 1,
  cumsum: 1,
  detach: 1,
  device: 1,
  dispose: 1,
  distAllReduce: 1,
  distBackends: 1,
  distBarrier: 1,
  distBroadcast: 1,
  distDestroy: 1,
  distInit: 1,
  distReducer: 1,
  distReducerDetach: 1,
  distReducerFinish: 1,
  div: 1,
  divS: 1,
  dropout: 1,
  dtype: 1,
  einsum: 1,
  embedding: 1,
  empty: 1,
  emptyCpuCache: 1,
  eq: 1,
  eqS: 1,
  erf: 1,
  erfinv: 1,
  erfinv_: 1,
  exp: 1,
  expand: 1,
  eye: 1,
  fill_: 1,
  flatten: 1,
  flip: 1,
  floor: 1,
  floorDivide: 1,
  floorDivideS: 1,
  fromBuffer: 1,
  full: 1,
  fusedAdamStep: 1,
  gather: 1,
  ge: 1,
  gelu: 1,
  geS: 1,
  getNumThreads: 1,
  grad: 1,
  groupNorm: 1,
  gt: 1,
  gtS: 1,
  hasFusedAttention: 1,
  index: 1,
  indexPut_: 1,
  indexSelect: 1,
  instanceNorm: 1,
  interpolate: 1,
  isDisposed: 1,
  isfinite: 1,
  isGradEnabled: 1,
  isLeaf: 1,
  isnan: 1,
  item: 1,
  l1Loss: 1,
  layerNorm: 1,
  le: 1,
  leakyRelu: 1,
  leS: 1,
  linear: 1,
  linearBackend: 1,
  linspace: 1,
  liveTensors: 1,
  log: 1,
  log1p: 1,
  logicalAnd: 1,
  logicalNot: 1,
  logicalOr: 1,
  logSoftmax: 1,
  logsumexp: 1,
  lt: 1,
  ltS: 1,
  manualSeed: 1,
  maskedFill: 1,
  maskedSelect: 1,
  matmul: 1,
  maxDim: 1,
  maximum: 1,
  maximumS: 1,
  maxPool2d: 1,
  mean: 1,
  minDim: 1,
  minimum: 1,
  minimumS: 1,
  mm: 1,
  mmapFile: 1,
  mseLoss: 1,
  mul: 1,
  mulS: 1,
  mulScalar_: 1,
  narrow: 1,
  ne: 1,
  neg: 1,
  neS: 1,
  nllLoss: 1,
  norm: 1,
  normal_: 1,
  oneHot: 1,
  ones: 1,
  outer: 1,
  pad: 1,
  permute: 1,
  pow: 1,
  powS: 1,
  prod: 1,
  profilerStart: 1,
  profilerStop: 1,
  rand: 1,
  randint: 1,
  randn: 1,
  randperm: 1,
  rdivS: 1,
  readFile: 1,
  reciprocal: 1,
  relu: 1,
  remainder: 1,
  remainderS: 1,
  repeat: 1,
  requiresGrad: 1,
  reshape: 1,
  retainGrad: 1,
  roll: 1,
  round: 1,
  rsqrt: 1,
  rsubS: 1,
  scatter: 1,
  scatterAdd: 1,
  scatterValue: 1,
  sdpa: 1,
  select: 1,
  setData: 1,
  setGrad: 1,
  setGradEnabled: 1,
  setNumThreads: 1,
  setRequiresGrad: 1,
  shape: 1,
  sigmoid: 1,
  sign: 1,
  silu: 1,
  sin: 1,
  slice: 1,
  softmax: 1,
  sort: 1,
  split: 1,
  splitSizes: 1,
  sqrt: 1,
  square: 1,
  squeeze: 1,
  stack: 1,
  std: 1,
  storageUseCount: 1,
  sub: 1,
  subS: 1,
  sum: 1,
  tanh: 1,
  toBuffer: 1,
  toDevice: 1,
  toDtype: 1,
  topk: 1,
  transpose: 1,
  unbind: 1,
  uniform_: 1,
  unsqueeze: 1,
  var: 1,
  view: 1,
  where: 1,
  zero_: 1,
  zeroGrad: 1,
  zeros: 1,
} satisfies Record<Exclude<keyof NativeOps, "torchVersion">, 1>) as Exclude<
  keyof NativeOps,
  "torchVersion"
>[];
