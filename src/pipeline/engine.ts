// What sliding-window prediction needs from a segmentation model, whatever runs it: libtorch
// (torch-engine.ts) or onnxruntime (onnx-engine.ts).
import type { TileForward } from "../eval/sliding-window.js";

export interface SegmentationEngine {
  /** "libtorch" or "onnxruntime". */
  name: string;
  /** Class names, index = class. */
  classes: string[];
  /** Side of the square tiles the model takes. */
  tile: number;
  channels: number;
  /** Per-channel training statistics the inputs are normalised with. */
  stats: { mean: number[]; std: number[] };
  /** Where the model came from, for predict.json. */
  source: Record<string, string>;
  /** Normalised tiles (n, C, T, T) -> logits (n, K, T, T). */
  forward: TileForward;
  close(): Promise<void>;
}
