// Parameter groups for fine-tuning a pre-trained encoder: a separate encoder learning rate and
// layer-wise decay (BEiT / MAE fine-tuning): encoder layer i of L gets lr * decay^(L + 1 - i),
// the patch embeddings decay^(L + 1), the final layernorm and every decoder block the full rate.
import type { nn, optim, Tensor } from "../torch/index.js";

export interface GroupOptions {
  lr: number;
  /** Learning rate of the ViT encoder before layer decay (default: lr). */
  encoderLr?: number;
  /** Layer-wise decay factor in (0, 1]; 1 = none. */
  layerDecay?: number;
  betas: [number, number];
  weightDecay: number;
  /** Encoder depth, for the decay exponents. */
  numLayers: number;
}

/** Layer id of an encoder parameter: 0 embeddings, i + 1 for encoder.layer.i, L + 1 otherwise. */
export function layerId(name: string, numLayers: number): number {
  if (name.startsWith("vit.embeddings.")) return 0;
  const m = /^vit\.encoder\.layer\.(\d+)\./.exec(name);
  return m ? Number(m[1]) + 1 : numLayers + 1;
}

export function paramGroups(
  model: nn.Module,
  o: GroupOptions,
): (optim.AdamOptions & { params: Tensor[]; name: string })[] {
  const decay = o.layerDecay ?? 1;
  if (!(decay > 0 && decay <= 1)) throw new Error(`layer decay must lie in (0, 1], got ${decay}`);
  const groups = new Map<string, { lr: number; params: Tensor[] }>();
  for (const [name, p] of model.namedParameters()) {
    let key = "decoder";
    let lr = o.lr;
    if (name.startsWith("vit.")) {
      const id = layerId(name, o.numLayers);
      key = `encoder.${id}`;
      lr = (o.encoderLr ?? o.lr) * decay ** (o.numLayers + 1 - id);
    }
    const g = groups.get(key) ?? { lr, params: [] };
    g.params.push(p);
    groups.set(key, g);
  }
  return [...groups].map(([name, g]) => ({
    name,
    lr: g.lr,
    params: g.params,
    betas: o.betas,
    weightDecay: o.weightDecay,
  }));
}
