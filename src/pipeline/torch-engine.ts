// A segmentation run's checkpoint run by libtorch, as a SegmentationEngine.
import { noGrad, scope, tensor } from "../torch/index.js";
import { loadSegmenter, readRunInfo } from "../train/run-info.js";
import type { SegmentationEngine } from "./engine.js";

export function openTorchEngine(
  run: string,
  which: "best" | "last",
  device: "cpu" | "cuda",
): SegmentationEngine {
  const info = readRunInfo(run);
  const model = loadSegmenter(run, which).to(device);
  model.eval();
  const { channels: C, tile: T } = info;
  return {
    name: "libtorch",
    classes: info.classes,
    tile: T,
    channels: C,
    stats: info.stats,
    source: { run, checkpoint: which },
    forward: (tiles, n) =>
      scope(() =>
        noGrad(() =>
          model
            .forward(tensor(tiles, [n, C, T, T]).to(device))
            .float()
            .to("cpu")
            .toFloat32Array(),
        ),
      ),
    close: async () => model.dispose(),
  };
}
