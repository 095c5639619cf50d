// A segmentation run directory made in a test, without training: a small untrained BasicUNet in
// best/ and the run.json that predict reads. Predictions are meaningless but deterministic.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BasicUNet } from "../../src/models/unet.js";
import { manualSeed } from "../../src/torch/index.js";

export const RUN_CLASSES = ["background", "cell", "other"];

export function makeSegRun(dir: string, channels = 3, tile = 16): string {
  mkdirSync(dir, { recursive: true });
  manualSeed(0);
  const model = new BasicUNet({
    inChannels: channels,
    outChannels: RUN_CLASSES.length,
    features: [4, 4, 4, 4, 4, 4],
  });
  model.savePretrained(join(dir, "best"));
  model.dispose();
  const info = {
    command: "train-unet",
    data: "/nonexistent",
    classes: RUN_CLASSES,
    stats: { mean: new Array(channels).fill(0.5), std: new Array(channels).fill(0.25) },
    tile,
    channels,
  };
  writeFileSync(join(dir, "run.json"), JSON.stringify(info));
  return dir;
}
