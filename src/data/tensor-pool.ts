// Recycled batch tensors. A loader hands out a fresh batch every step; allocating it anew means
// megabytes of page faults per batch and, worse, glibc heap fragmentation that can grow a process
// by gigabytes over an epoch (seen here: 2 GB RSS streaming batches of 16 MB). The pool keeps the
// storages and hands out aliases of them; a storage is reused only when nothing but the pool
// refers to it any more (the consumer disposed its alias and no view or autograd graph holds it).
import { type DType, empty, keep, type Tensor, type TypedArray } from "../torch/index.js";
import { N } from "../torch/native.js";

export class TensorPool {
  /** Storages per (dtype, shape); beyond `cap` busy ones, batches get plain allocations. */
  readonly cap: number;
  #kept = new Map<string, Tensor[]>();

  constructor(cap = 8) {
    this.cap = cap;
  }

  /** A tensor of this shape and dtype holding a copy of data (one copy), on recycled storage. */
  take(data: TypedArray, shape: number[], dtype: DType): Tensor {
    const key = `${dtype}:${shape.join(",")}`;
    let list = this.#kept.get(key);
    if (!list) {
      list = [];
      this.#kept.set(key, list);
    }
    let t = list.find((p) => N.storageUseCount(p.handle) === 1);
    if (!t) {
      t = keep(empty(shape, { dtype }));
      if (list.length < this.cap) list.push(t);
      else {
        // The consumer holds on to many batches: this one is its alone.
        N.copyFromBuffer(t.handle, data);
        return t;
      }
    }
    N.copyFromBuffer(t.handle, data);
    return t.detach();
  }

  /** Drops the pool's references; tensors handed out stay valid. */
  dispose(): void {
    for (const list of this.#kept.values()) for (const t of list) t.dispose();
    this.#kept.clear();
  }
}
