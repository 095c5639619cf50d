// Adam and AdamW with parameter groups; the update itself is one native call per group and step:
// libtorch's fused multi-tensor kernel (torch.optim.Adam(fused=True)) for CPU float32 parameters,
// torch.optim.Adam's single-tensor formula for the rest or when `fused` is off.
import { zeros, zerosLike } from "../creation.js";
import { N } from "../native.js";
import { keep } from "../scope.js";
import type { Tensor } from "../tensor.js";

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export interface ParamGroup extends Required<AdamOptions> {
  params: Tensor[];
  /** Free-form tag (e.g. "encoder.layer.3") kept in saved state for readability. */
  name?: string;
}

interface State {
  expAvg: Tensor;
  expAvgSq: Tensor;
  step: Tensor; // 0-d float64 on CPU, as in torch.optim
}

/** Serialisable optimiser state: tensors by "state.I.exp_avg" style names plus group settings. */
export interface OptimizerState {
  tensors: Record<string, Tensor>;
  groups: Omit<ParamGroup, "params">[];
}

export class Adam {
  readonly groups: ParamGroup[];
  /** Fused kernel for CPU float32 parameters (default); false: the single-tensor formula everywhere. */
  fused = true;
  readonly #state = new Map<Tensor, State>();

  constructor(
    params: Tensor[] | (AdamOptions & { params: Tensor[]; name?: string })[],
    defaults: AdamOptions = {},
    readonly decoupled = false,
  ) {
    const d: Required<AdamOptions> = {
      lr: defaults.lr ?? 1e-3,
      betas: defaults.betas ?? [0.9, 0.999],
      eps: defaults.eps ?? 1e-8,
      weightDecay: defaults.weightDecay ?? (decoupled ? 1e-2 : 0),
    };
    const raw =
      params.length > 0 && "params" in (params[0] as object)
        ? (params as ParamGroup[])
        : [{ params: params as Tensor[] }];
    this.groups = raw.map((g) => ({ ...d, ...g }));
  }

  #stateOf(p: Tensor): State {
    let s = this.#state.get(p);
    if (!s) {
      s = keep({ expAvg: zerosLike(p), expAvgSq: zerosLike(p), step: zeros([], { dtype: "float64" }) });
      this.#state.set(p, s);
    }
    return s;
  }

  step(): void {
    for (const g of this.groups) {
      const st = g.params.map((p) => this.#stateOf(p));
      (this.fused ? N.fusedAdamStep : N.adamStep)(
        g.params.map((p) => p.handle),
        st.map((s) => s.expAvg.handle),
        st.map((s) => s.expAvgSq.handle),
        st.map((s) => s.step.handle),
        g.lr,
        g.betas[0],
        g.betas[1],
        g.eps,
        g.weightDecay,
        this.decoupled,
      );
    }
  }

  /** Clears gradients; setToNone frees them (PyTorch's default). */
  zeroGrad(setToNone = true): void {
    for (const g of this.groups)
      N.zeroGrad(
        g.params.map((p) => p.handle),
        setToNone,
      );
  }

  get params(): Tensor[] {
    return this.groups.flatMap((g) => g.params);
  }

  /** State keyed by each parameter's position across groups, like torch's optimizer.state_dict(). */
  stateDict(): OptimizerState {
    const tensors: Record<string, Tensor> = {};
    this.params.forEach((p, i) => {
      const s = this.#state.get(p);
      if (!s) return;
      tensors[`state.${i}.exp_avg`] = s.expAvg;
      tensors[`state.${i}.exp_avg_sq`] = s.expAvgSq;
      tensors[`state.${i}.step`] = s.step;
    });
    return { tensors, groups: this.groups.map(({ params: _p, ...rest }) => rest) };
  }

  loadStateDict(sd: OptimizerState): void {
    if (sd.groups.length !== this.groups.length) {
      throw new Error(
        `optimizer state has ${sd.groups.length} parameter groups, this optimizer ${this.groups.length}`,
      );
    }
    sd.groups.forEach((g, i) => {
      Object.assign(this.groups[i], g);
    });
    this.params.forEach((p, i) => {
      const m = sd.tensors[`state.${i}.exp_avg`];
      if (!m) return;
      const s = this.#stateOf(p);
      if (m.shape.join() !== p.shape.join()) {
        throw new Error(`optimizer state ${i}: shape [${m.shape}] does not match parameter [${p.shape}]`);
      }
      s.expAvg.copy_(m);
      s.expAvgSq.copy_(sd.tensors[`state.${i}.exp_avg_sq`]);
      s.step.copy_(sd.tensors[`state.${i}.step`]);
    });
  }

  dispose(): void {
    for (const s of this.#state.values()) for (const t of Object.values(s)) t.dispose();
    this.#state.clear();
  }
}

export class AdamW extends Adam {
  constructor(params: ConstructorParameters<typeof Adam>[0], defaults: AdamOptions = {}) {
    super(params, defaults, true);
  }
}

/** Scales gradients so their global L2 norm is at most maxNorm; returns the norm before. */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  return N.clipGradNorm(
    params.map((p) => p.handle),
    maxNorm,
  );
}
