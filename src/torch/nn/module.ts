// nn.Module: named parameters, buffers and children, state dicts with PyTorch's dotted key names.
import { noGrad } from "../autograd.js";
import type { Device, DType } from "../dtype.js";
import { N } from "../native.js";
import { keep } from "../scope.js";
import type { Tensor } from "../tensor.js";

export interface LoadResult {
  missing: string[];
  unexpected: string[];
  mismatched: { key: string; expected: number[]; got: number[] }[];
}

export abstract class Module {
  training = true;
  readonly #params = new Map<string, Tensor>();
  readonly #buffers = new Map<string, Tensor>();
  readonly #children = new Map<string, Module>();

  /** Registers a trainable tensor under name; it leaves every scope and requires grad. */
  protected param(name: string, t: Tensor): Tensor {
    keep(t).requiresGrad_(true);
    this.#params.set(name, t);
    return t;
  }
  protected buffer(name: string, t: Tensor): Tensor {
    keep(t);
    this.#buffers.set(name, t);
    return t;
  }
  protected module<M extends Module>(name: string, m: M): M {
    this.#children.set(name, m);
    return m;
  }

  children(): [string, Module][] {
    return [...this.#children];
  }
  namedModules(prefix = ""): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, c] of this.#children) out.push(...c.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }
  namedParameters(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.#params) out.push([prefix + n, t]);
    for (const [n, c] of this.#children) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }
  namedBuffers(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.#buffers) out.push([prefix + n, t]);
    for (const [n, c] of this.#children) out.push(...c.namedBuffers(`${prefix}${n}.`));
    return out;
  }
  numParameters(trainableOnly = false): number {
    return this.parameters()
      .filter((p) => !trainableOnly || p.requiresGrad)
      .reduce((s, p) => s + p.numel, 0);
  }

  /** Parameters and buffers by dotted name; the tensors themselves, not copies. */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values from sd into this module's tensors. With strict (the default), any missing,
   * unexpected or shape-mismatched key throws an error that names them all.
   */
  loadStateDict(sd: Record<string, Tensor>, { strict = true } = {}): LoadResult {
    const own = this.stateDict();
    const res: LoadResult = { missing: [], unexpected: [], mismatched: [] };
    for (const k of Object.keys(own)) if (!(k in sd)) res.missing.push(k);
    for (const k of Object.keys(sd)) if (!(k in own)) res.unexpected.push(k);
    for (const [k, t] of Object.entries(own)) {
      const src = sd[k];
      if (src && src.shape.join() !== t.shape.join())
        res.mismatched.push({ key: k, expected: t.shape, got: src.shape });
    }
    const bad = res.missing.length + res.unexpected.length + res.mismatched.length;
    if (strict && bad) {
      const lines = [
        ...res.missing.map((k) => `  missing: ${k}`),
        ...res.unexpected.map((k) => `  unexpected: ${k}`),
        ...res.mismatched.map((m) => `  shape mismatch: ${m.key}: expected [${m.expected}], got [${m.got}]`),
      ];
      throw new Error(`loadStateDict: ${bad} problem(s) in the state dict:\n${lines.join("\n")}`);
    }
    noGrad(() => {
      for (const [k, t] of Object.entries(own)) {
        const src = sd[k];
        if (src && src.shape.join() === t.shape.join()) t.copy_(src);
      }
    });
    return res;
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /** Moves or casts every parameter and buffer in place (their identities stay). */
  to(target: Device | DType | string): this {
    noGrad(() => {
      for (const t of [...this.parameters(), ...this.namedBuffers().map(([, b]) => b)]) {
        const isFloat = ["float32", "float64", "float16", "bfloat16"].includes(t.dtype);
        const dev = target === "cpu" || target.startsWith("cuda");
        if (!dev && !isFloat) continue; // dtype casts leave integer buffers alone, as in PyTorch
        const moved = t.to(target as Device);
        N.setData(t.handle, moved.handle);
        moved.dispose();
      }
    });
    return this;
  }

  /** Frees every parameter and buffer. */
  dispose(): void {
    for (const t of [...this.parameters(), ...this.namedBuffers().map(([, b]) => b)]) t.dispose();
  }
}
