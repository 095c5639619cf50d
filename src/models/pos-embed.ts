// Fixed 2-D sin-cos position embeddings of the original MAE (models_mae.py's
// get_2d_sincos_pos_embed), which Hugging Face's ViTMAE reproduces.
import { type Tensor, tensor } from "../torch/index.js";

/**
 * (1, 1 + g*g, dim) float32 for a g x g patch grid in row-major order, the first row (the CLS
 * token's) zeros. Each row is [sin(w*ω) | cos(w*ω) | sin(h*ω) | cos(h*ω)] with
 * ω_k = 10000^(-k/(dim/4)): MAE's meshgrid puts the column index w in the first half.
 * Computed in float64, rounded once.
 */
export function sinCosPosEmbed2d(gridSize: number, dim: number): Tensor {
  if (dim % 4 !== 0)
    throw new Error(`sin-cos position embeddings need a dimension divisible by 4, got ${dim}`);
  const q = dim / 4;
  const omega = Array.from({ length: q }, (_, k) => 1 / 10000 ** (k / q));
  const out = new Float32Array((1 + gridSize * gridSize) * dim);
  for (let h = 0; h < gridSize; h++) {
    for (let w = 0; w < gridSize; w++) {
      const row = (1 + h * gridSize + w) * dim;
      for (let k = 0; k < q; k++) {
        out[row + k] = Math.sin(w * omega[k]);
        out[row + q + k] = Math.cos(w * omega[k]);
        out[row + 2 * q + k] = Math.sin(h * omega[k]);
        out[row + 3 * q + k] = Math.cos(h * omega[k]);
      }
    }
  }
  return tensor(out, [1, 1 + gridSize * gridSize, dim]);
}
