// The Tensor class: one JS object owns one reference to a libtorch tensor.
// Methods mirror PyTorch's names in camelCase; numbers stand for scalars wherever PyTorch takes them.
import type { Device, DType, TypedArray } from "./dtype.js";
import { typedArrayFor } from "./dtype.js";
import { type Handle, N } from "./native.js";
import { track } from "./scope.js";

export type Dims = number | number[];
type Other = Tensor | number;

const asDims = (d: Dims): number[] => (typeof d === "number" ? [d] : d);

export class Tensor {
  readonly handle: Handle;
  #shape: number[] | undefined;

  constructor(handle: Handle) {
    this.handle = handle;
    track(this);
  }

  // ---- metadata ---------------------------------------------------------------
  get shape(): number[] {
    this.#shape ??= N.shape(this.handle);
    return this.#shape.slice();
  }
  get ndim(): number {
    return this.shape.length;
  }
  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  size(dim: number): number {
    const s = this.shape;
    return s[dim < 0 ? s.length + dim : dim];
  }
  get dtype(): DType {
    return N.dtype(this.handle);
  }
  get device(): string {
    return N.device(this.handle);
  }
  get isDisposed(): boolean {
    return N.isDisposed(this.handle);
  }
  get isLeaf(): boolean {
    return N.isLeaf(this.handle);
  }
  get requiresGrad(): boolean {
    return N.requiresGrad(this.handle);
  }
  set requiresGrad(v: boolean) {
    N.setRequiresGrad(this.handle, v);
  }
  requiresGrad_(v = true): this {
    N.setRequiresGrad(this.handle, v);
    return this;
  }
  /** The accumulated gradient as a new tensor (sharing storage), or null. */
  get grad(): Tensor | null {
    const g = N.grad(this.handle);
    return g === null ? null : new Tensor(g);
  }
  set grad(g: Tensor | null) {
    N.setGrad(this.handle, g?.handle ?? null);
  }

  /** Frees the native tensor now; idempotent. Using it afterwards throws. */
  dispose(): void {
    N.dispose(this.handle);
  }

  // ---- data out ---------------------------------------------------------------
  item(): number {
    return N.item(this.handle);
  }
  /** A copy of the elements as the dtype's typed array (half types as raw 16-bit patterns). */
  toTypedArray(): TypedArray {
    return typedArrayFor(this.dtype, N.toBuffer(this.handle));
  }
  toFloat32Array(): Float32Array {
    if (this.dtype === "float32") return new Float32Array(N.toBuffer(this.handle));
    const f = new Tensor(N.toDtype(this.handle, "float32"));
    try {
      return new Float32Array(N.toBuffer(f.handle));
    } finally {
      f.dispose();
    }
  }
  /** Elements as plain numbers (int64 converted). */
  toArray(): number[] {
    const a = this.toTypedArray();
    return a instanceof BigInt64Array ? Array.from(a, Number) : Array.from(a as ArrayLike<number>);
  }
  toString(): string {
    return `Tensor(shape=[${this.shape}], dtype=${this.dtype}, device=${this.device})`;
  }

  // ---- conversion -------------------------------------------------------------
  to(target: DType | Device, nonBlocking = false): Tensor {
    if (target === "cpu" || target.startsWith("cuda"))
      return new Tensor(N.toDevice(this.handle, target, nonBlocking));
    return new Tensor(N.toDtype(this.handle, target as DType));
  }
  float(): Tensor {
    return this.to("float32");
  }
  long(): Tensor {
    return this.to("int64");
  }
  clone(): Tensor {
    return new Tensor(N.clone(this.handle));
  }
  contiguous(): Tensor {
    return new Tensor(N.contiguous(this.handle));
  }
  detach(): Tensor {
    return new Tensor(N.detach(this.handle));
  }

  // ---- views and indexing -----------------------------------------------------
  reshape(...shape: number[] | [number[]]): Tensor {
    return new Tensor(N.reshape(this.handle, shape.flat()));
  }
  view(...shape: number[] | [number[]]): Tensor {
    return new Tensor(N.view(this.handle, shape.flat()));
  }
  permute(...dims: number[] | [number[]]): Tensor {
    return new Tensor(N.permute(this.handle, dims.flat()));
  }
  transpose(d0: number, d1: number): Tensor {
    return new Tensor(N.transpose(this.handle, d0, d1));
  }
  flatten(start = 0, end = -1): Tensor {
    return new Tensor(N.flatten(this.handle, start, end));
  }
  squeeze(dim?: number): Tensor {
    return new Tensor(N.squeeze(this.handle, dim));
  }
  unsqueeze(dim: number): Tensor {
    return new Tensor(N.unsqueeze(this.handle, dim));
  }
  expand(...shape: number[] | [number[]]): Tensor {
    return new Tensor(N.expand(this.handle, shape.flat()));
  }
  repeat(...reps: number[] | [number[]]): Tensor {
    return new Tensor(N.repeat(this.handle, reps.flat()));
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(N.narrow(this.handle, dim, start, length));
  }
  /** t[..., start:end:step, ...] along dim; start/end may be negative or omitted. */
  slice(dim: number, start?: number, end?: number, step = 1): Tensor {
    return new Tensor(N.slice(this.handle, dim, start, end, step));
  }
  select(dim: number, index: number): Tensor {
    return new Tensor(N.select(this.handle, dim, index));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(N.indexSelect(this.handle, dim, index.handle));
  }
  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(N.gather(this.handle, dim, index.handle));
  }
  scatter(dim: number, index: Tensor, src: Other): Tensor {
    return typeof src === "number"
      ? new Tensor(N.scatterValue(this.handle, dim, index.handle, src))
      : new Tensor(N.scatter(this.handle, dim, index.handle, src.handle));
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(N.scatterAdd(this.handle, dim, index.handle, src.handle));
  }
  maskedFill(mask: Tensor, value: number): Tensor {
    return new Tensor(N.maskedFill(this.handle, mask.handle, value));
  }
  maskedSelect(mask: Tensor): Tensor {
    return new Tensor(N.maskedSelect(this.handle, mask.handle));
  }
  /** Advanced indexing t[i0, i1, ...] with index tensors; null keeps a dimension whole. */
  index(indices: (Tensor | null)[]): Tensor {
    return new Tensor(
      N.index(
        this.handle,
        indices.map((t) => t?.handle ?? null),
      ),
    );
  }
  indexPut_(indices: (Tensor | null)[], values: Tensor, accumulate = false): this {
    N.indexPut_(
      this.handle,
      indices.map((t) => t?.handle ?? null),
      values.handle,
      accumulate,
    );
    return this;
  }
  split(size: number | number[], dim = 0): Tensor[] {
    const hs =
      typeof size === "number" ? N.split(this.handle, size, dim) : N.splitSizes(this.handle, size, dim);
    return (hs as Handle[]).map((h) => new Tensor(h));
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return N.chunk(this.handle, chunks, dim).map((h) => new Tensor(h));
  }
  unbind(dim = 0): Tensor[] {
    return N.unbind(this.handle, dim).map((h) => new Tensor(h));
  }
  flip(dims: Dims): Tensor {
    return new Tensor(N.flip(this.handle, asDims(dims)));
  }
  roll(shifts: Dims, dims: Dims): Tensor {
    return new Tensor(N.roll(this.handle, asDims(shifts), asDims(dims)));
  }

  // ---- arithmetic (broadcasting; numbers are scalars) ------------------------
  /** A binary op: its tensor-tensor form, or its tensor-scalar form when o is a number. */
  #bin(o: Other, tt: (a: Handle, b: Handle) => Handle, ts: (a: Handle, s: number) => Handle): Tensor {
    return new Tensor(typeof o === "number" ? ts(this.handle, o) : tt(this.handle, o.handle));
  }
  add(o: Other, alpha?: number): Tensor {
    return this.#bin(o, (a, b) => N.add(a, b, alpha), N.addS);
  }
  sub(o: Other, alpha?: number): Tensor {
    return this.#bin(o, (a, b) => N.sub(a, b, alpha), N.subS);
  }
  mul(o: Other): Tensor {
    return this.#bin(o, N.mul, N.mulS);
  }
  div(o: Other): Tensor {
    return this.#bin(o, N.div, N.divS);
  }
  pow(o: Other): Tensor {
    return this.#bin(o, N.pow, N.powS);
  }
  maximum(o: Other): Tensor {
    return this.#bin(o, N.maximum, N.maximumS);
  }
  minimum(o: Other): Tensor {
    return this.#bin(o, N.minimum, N.minimumS);
  }
  remainder(o: Other): Tensor {
    return this.#bin(o, N.remainder, N.remainderS);
  }
  floorDivide(o: Other): Tensor {
    return this.#bin(o, N.floorDivide, N.floorDivideS);
  }
  /** s - this */
  rsub(s: number): Tensor {
    return new Tensor(N.rsubS(this.handle, s));
  }
  /** s / this */
  rdiv(s: number): Tensor {
    return new Tensor(N.rdivS(this.handle, s));
  }
  eq(o: Other): Tensor {
    return this.#bin(o, N.eq, N.eqS);
  }
  ne(o: Other): Tensor {
    return this.#bin(o, N.ne, N.neS);
  }
  lt(o: Other): Tensor {
    return this.#bin(o, N.lt, N.ltS);
  }
  le(o: Other): Tensor {
    return this.#bin(o, N.le, N.leS);
  }
  gt(o: Other): Tensor {
    return this.#bin(o, N.gt, N.gtS);
  }
  ge(o: Other): Tensor {
    return this.#bin(o, N.ge, N.geS);
  }
  logicalAnd(o: Tensor): Tensor {
    return new Tensor(N.logicalAnd(this.handle, o.handle));
  }
  logicalOr(o: Tensor): Tensor {
    return new Tensor(N.logicalOr(this.handle, o.handle));
  }
  logicalNot(): Tensor {
    return new Tensor(N.logicalNot(this.handle));
  }
  #un(op: (a: Handle) => Handle): Tensor {
    return new Tensor(op(this.handle));
  }
  sqrt(): Tensor {
    return this.#un(N.sqrt);
  }
  rsqrt(): Tensor {
    return this.#un(N.rsqrt);
  }
  exp(): Tensor {
    return this.#un(N.exp);
  }
  log(): Tensor {
    return this.#un(N.log);
  }
  log1p(): Tensor {
    return this.#un(N.log1p);
  }
  abs(): Tensor {
    return this.#un(N.abs);
  }
  neg(): Tensor {
    return this.#un(N.neg);
  }
  sign(): Tensor {
    return this.#un(N.sign);
  }
  floor(): Tensor {
    return this.#un(N.floor);
  }
  ceil(): Tensor {
    return this.#un(N.ceil);
  }
  round(): Tensor {
    return this.#un(N.round);
  }
  reciprocal(): Tensor {
    return this.#un(N.reciprocal);
  }
  sin(): Tensor {
    return this.#un(N.sin);
  }
  cos(): Tensor {
    return this.#un(N.cos);
  }
  erf(): Tensor {
    return this.#un(N.erf);
  }
  erfinv(): Tensor {
    return this.#un(N.erfinv);
  }
  square(): Tensor {
    return this.#un(N.square);
  }
  isnan(): Tensor {
    return this.#un(N.isnan);
  }
  isfinite(): Tensor {
    return this.#un(N.isfinite);
  }
  relu(): Tensor {
    return this.#un(N.relu);
  }
  sigmoid(): Tensor {
    return this.#un(N.sigmoid);
  }
  tanh(): Tensor {
    return this.#un(N.tanh);
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return new Tensor(N.clamp(this.handle, min ?? null, max ?? null));
  }
  softmax(dim: number): Tensor {
    return new Tensor(N.softmax(this.handle, dim));
  }
  logSoftmax(dim: number): Tensor {
    return new Tensor(N.logSoftmax(this.handle, dim));
  }

  // ---- reductions -------------------------------------------------------------
  sum(dims?: Dims | null, keepdim = false, dtype?: DType): Tensor {
    return new Tensor(N.sum(this.handle, dims == null ? null : asDims(dims), keepdim, dtype));
  }
  mean(dims?: Dims | null, keepdim = false): Tensor {
    return new Tensor(N.mean(this.handle, dims == null ? null : asDims(dims), keepdim));
  }
  /** Variance; unbiased (Bessel-corrected) by default, like torch.var. */
  var(dims?: Dims | null, unbiased = true, keepdim = false): Tensor {
    return new Tensor(N.var(this.handle, dims == null ? null : asDims(dims), unbiased, keepdim));
  }
  std(dims?: Dims | null, unbiased = true, keepdim = false): Tensor {
    return new Tensor(N.std(this.handle, dims == null ? null : asDims(dims), unbiased, keepdim));
  }
  prod(dim?: number, keepdim = false): Tensor {
    return new Tensor(N.prod(this.handle, dim, keepdim));
  }
  amax(dims?: Dims, keepdim = false): Tensor {
    return new Tensor(N.amax(this.handle, dims === undefined ? null : asDims(dims), keepdim));
  }
  amin(dims?: Dims, keepdim = false): Tensor {
    return new Tensor(N.amin(this.handle, dims === undefined ? null : asDims(dims), keepdim));
  }
  /** Maximum over all elements (0-d); see maxDim for values and indices along a dimension. */
  max(): Tensor {
    return this.amax();
  }
  min(): Tensor {
    return this.amin();
  }
  maxDim(dim: number, keepdim = false): [Tensor, Tensor] {
    const [v, i] = N.maxDim(this.handle, dim, keepdim);
    return [new Tensor(v), new Tensor(i)];
  }
  minDim(dim: number, keepdim = false): [Tensor, Tensor] {
    const [v, i] = N.minDim(this.handle, dim, keepdim);
    return [new Tensor(v), new Tensor(i)];
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return new Tensor(N.argmax(this.handle, dim, keepdim));
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return new Tensor(N.argmin(this.handle, dim, keepdim));
  }
  logsumexp(dims: Dims, keepdim = false): Tensor {
    return new Tensor(N.logsumexp(this.handle, asDims(dims), keepdim));
  }
  cumsum(dim: number): Tensor {
    return new Tensor(N.cumsum(this.handle, dim));
  }
  norm(p = 2, dims?: Dims, keepdim = false): Tensor {
    return new Tensor(N.norm(this.handle, p, dims === undefined ? null : asDims(dims), keepdim));
  }
  any(): Tensor {
    return this.#un(N.any);
  }
  all(): Tensor {
    return this.#un(N.all);
  }
  /** Stable sort by default, so equal keys keep their order (as MAE's argsort of noise needs). */
  sort(dim = -1, descending = false, stable = true): [Tensor, Tensor] {
    const [v, i] = N.sort(this.handle, dim, descending, stable);
    return [new Tensor(v), new Tensor(i)];
  }
  argsort(dim = -1, descending = false, stable = true): Tensor {
    return new Tensor(N.argsort(this.handle, dim, descending, stable));
  }
  topk(k: number, dim = -1, largest = true, sorted = true): [Tensor, Tensor] {
    const [v, i] = N.topk(this.handle, k, dim, largest, sorted);
    return [new Tensor(v), new Tensor(i)];
  }

  // ---- linear algebra ---------------------------------------------------------
  matmul(o: Tensor): Tensor {
    return new Tensor(N.matmul(this.handle, o.handle));
  }
  bmm(o: Tensor): Tensor {
    return new Tensor(N.bmm(this.handle, o.handle));
  }
  mm(o: Tensor): Tensor {
    return new Tensor(N.mm(this.handle, o.handle));
  }

  // ---- in place (for parameter updates and init; call under noGrad) ------------
  copy_(src: Tensor): this {
    N.copy_(this.handle, src.handle);
    return this;
  }
  fill_(v: number): this {
    N.fill_(this.handle, v);
    return this;
  }
  zero_(): this {
    N.zero_(this.handle);
    return this;
  }
  add_(o: Other, alpha = 1): this {
    if (typeof o === "number") N.addS_(this.handle, o * alpha);
    else N.add_(this.handle, o.handle, alpha);
    return this;
  }
  mul_(s: number): this {
    N.mulScalar_(this.handle, s);
    return this;
  }
  uniform_(a = 0, b = 1): this {
    N.uniform_(this.handle, a, b);
    return this;
  }
  normal_(mean = 0, std = 1): this {
    N.normal_(this.handle, mean, std);
    return this;
  }
  clamp_(min?: number | null, max?: number | null): this {
    N.clamp_(this.handle, min ?? null, max ?? null);
    return this;
  }
  erfinv_(): this {
    N.erfinv_(this.handle);
    return this;
  }

  // ---- autograd ---------------------------------------------------------------
  backward(gradient?: Tensor, retainGraph = false): void {
    N.backward(this.handle, gradient?.handle ?? null, retainGraph);
  }
  retainGrad(): this {
    N.retainGrad(this.handle);
    return this;
  }
}
