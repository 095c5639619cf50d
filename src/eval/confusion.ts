// Multi-class confusion matrix over labelled pixels: rows are true classes, columns predictions.
// Pixels whose target is the ignore index (255 = unlabelled) are skipped, as the loss skips them.
import { IGNORE_INDEX } from "../data/dataset.js";
import { bincount, type Device, scope, type Tensor } from "../torch/index.js";

export interface ConfusionJSON {
  numClasses: number;
  ignoreIndex: number;
  counts: number[][];
}

const FLOAT_DTYPES = new Set(["float32", "float64", "float16", "bfloat16"]);

export class ConfusionMatrix {
  readonly numClasses: number;
  readonly ignoreIndex: number;
  // (K*K) row-major; float64 holds exact integer counts up to 2^53.
  readonly #counts: Float64Array;

  constructor(numClasses: number, ignoreIndex = IGNORE_INDEX) {
    if (!Number.isInteger(numClasses) || numClasses < 1) {
      throw new Error(`ConfusionMatrix: numClasses must be a positive integer, got ${numClasses}`);
    }
    if (Number.isInteger(ignoreIndex) && ignoreIndex >= 0 && ignoreIndex < numClasses) {
      throw new Error(`ConfusionMatrix: ignoreIndex ${ignoreIndex} is a valid class of ${numClasses}`);
    }
    this.numClasses = numClasses;
    this.ignoreIndex = ignoreIndex;
    this.#counts = new Float64Array(numClasses * numClasses);
  }

  static fromJSON(j: ConfusionJSON): ConfusionMatrix {
    const cm = new ConfusionMatrix(j.numClasses, j.ignoreIndex);
    checkSquare(j.counts, j.numClasses, "ConfusionMatrix.fromJSON");
    j.counts.forEach((row, t) => {
      row.forEach((c, p) => {
        cm.#counts[t * j.numClasses + p] = c;
      });
    });
    return cm;
  }

  /** Counts one batch of integer predictions against targets of the same shape (any device). */
  add(pred: Tensor, target: Tensor): void {
    const K = this.numClasses;
    if (pred.shape.join() !== target.shape.join()) {
      throw new Error(
        `ConfusionMatrix.add: pred shape [${pred.shape}] differs from target shape [${target.shape}]`,
      );
    }
    for (const [what, t] of [
      ["pred", pred],
      ["target", target],
    ] as const) {
      if (FLOAT_DTYPES.has(t.dtype)) {
        throw new Error(
          `ConfusionMatrix.add: ${what} must hold class indices (an integer dtype), got ${t.dtype}`,
        );
      }
    }
    if (target.numel === 0) return;
    // Ignored pixels go to one extra bin, so no masked selection (a slow gather) is needed.
    const flat = scope(() => {
      const ignored = target.eq(this.ignoreIndex);
      const t = target.maskedFill(ignored, 0);
      this.#checkRange(t, "target", ` and not the ignore index ${this.ignoreIndex}`);
      // int32 halves the memory traffic of int64; class indices never need more.
      const p = pred
        .to(target.device as Device)
        .to("int32")
        .maskedFill(ignored, 0);
      this.#checkRange(p, "pred", "");
      const idx = t
        .to("int32")
        .mul(K)
        .add(p)
        .maskedFill(ignored, K * K)
        .flatten(); // (N,)
      return bincount(idx, K * K + 1)
        .slice(0, 0, K * K)
        .to("cpu"); // (K*K,)
    });
    try {
      const c = flat.toArray();
      for (let i = 0; i < c.length; i++) this.#counts[i] += c[i];
    } finally {
      flat.dispose();
    }
  }

  /** The same as add() for plain arrays of class indices; a rejected batch adds nothing. */
  addArrays(pred: ArrayLike<number>, target: ArrayLike<number>): void {
    const K = this.numClasses;
    if (pred.length !== target.length) {
      throw new Error(`ConfusionMatrix.addArrays: pred has ${pred.length} elements, target ${target.length}`);
    }
    const batch = new Float64Array(K * K);
    for (let i = 0; i < target.length; i++) {
      const t = Number(target[i]);
      if (t === this.ignoreIndex) continue;
      const p = Number(pred[i]);
      if (!(Number.isInteger(t) && t >= 0 && t < K)) {
        throw new Error(
          `ConfusionMatrix.addArrays: target value ${t} at ${i} is outside [0, ${K}) and not ${this.ignoreIndex}`,
        );
      }
      if (!(Number.isInteger(p) && p >= 0 && p < K)) {
        throw new Error(`ConfusionMatrix.addArrays: pred value ${p} at ${i} is outside [0, ${K})`);
      }
      batch[t * K + p]++;
    }
    for (let i = 0; i < batch.length; i++) this.#counts[i] += batch[i];
  }

  /** Adds another matrix's counts (e.g. from another shard or split). */
  merge(other: ConfusionMatrix): this {
    if (other.numClasses !== this.numClasses) {
      throw new Error(`ConfusionMatrix.merge: ${other.numClasses} classes vs ${this.numClasses}`);
    }
    for (let i = 0; i < this.#counts.length; i++) this.#counts[i] += other.#counts[i];
    return this;
  }

  /** counts[true][pred], a copy. */
  get counts(): number[][] {
    const K = this.numClasses;
    return Array.from({ length: K }, (_, t) => Array.from(this.#counts.subarray(t * K, (t + 1) * K)));
  }

  /** Number of labelled pixels counted. */
  get total(): number {
    return this.#counts.reduce((a, b) => a + b, 0);
  }

  /** Each row divided by its support (the recall view); a row with no support stays all zeros. */
  rowNormalised(): number[][] {
    return this.counts.map((row) => {
      const s = row.reduce((a, b) => a + b, 0);
      return row.map((c) => (s > 0 ? c / s : 0));
    });
  }

  toJSON(): ConfusionJSON {
    return { numClasses: this.numClasses, ignoreIndex: this.ignoreIndex, counts: this.counts };
  }

  /** Called inside add()'s scope, which frees the reductions. */
  #checkRange(v: Tensor, what: string, extra: string): void {
    const lo = v.amin().item();
    const hi = v.amax().item();
    const bad = lo < 0 ? lo : hi >= this.numClasses ? hi : null;
    if (bad !== null) {
      throw new Error(`ConfusionMatrix.add: ${what} value ${bad} is outside [0, ${this.numClasses})${extra}`);
    }
  }
}

/** Checks that m is a K x K matrix of finite non-negative counts. */
export function checkSquare(m: number[][], K: number, where: string): void {
  if (m.length !== K || m.some((r) => r.length !== K)) {
    throw new Error(
      `${where}: expected a ${K} x ${K} matrix, got ${m.length} rows of [${m.map((r) => r.length)}]`,
    );
  }
  for (const row of m) {
    for (const c of row) {
      if (!(Number.isFinite(c) && c >= 0))
        throw new Error(`${where}: count ${c} is not a finite non-negative number`);
    }
  }
}
