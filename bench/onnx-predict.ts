// Benchmark: segmenting one image (16 x 256 x 256 by default) with a run's model, by libtorch
// (hemoseg predict) and by its ONNX export in onnxruntime-node (hemoseg predict --engine onnx):
// the same sliding window (64 px tiles, 50% overlap, Hann blending) around both engines.
// Usage: node dist/bench/onnx-predict.js --run DIR [--size 256] [--repeats 5] [--threads 1] [--batch 16]
import { statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { slideWindows } from "../src/eval/sliding-window.js";
import { exportRunToFile } from "../src/export/onnx/export.js";
import type { SegmentationEngine } from "../src/pipeline/engine.js";
import { openOnnxEngine } from "../src/pipeline/onnx-engine.js";
import { openTorchEngine } from "../src/pipeline/torch-engine.js";
import { manualSeed, randn, setNumThreads } from "../src/torch/index.js";

const { values: a } = parseArgs({
  options: {
    run: { type: "string" },
    size: { type: "string", default: "256" },
    repeats: { type: "string", default: "5" },
    threads: { type: "string", default: "1" },
    batch: { type: "string", default: "16" },
  },
});
if (!a.run) throw new Error("--run DIR is required");
const size = Number(a.size);
const repeats = Number(a.repeats);
const threads = Number(a.threads);
const batch = Number(a.batch);
setNumThreads(threads);

const onnx = join(tmpdir(), `hemoseg-bench-${process.pid}.onnx`);
const t0 = performance.now();
const r = exportRunToFile({ run: a.run, onnx });
console.log(
  `${a.run}: ${r.meta.architecture}${r.meta.patchSize ? ` patch ${r.meta.patchSize}` : ""}, tile ${r.meta.tile}; ` +
    `ONNX ${(statSync(onnx).size / 2 ** 20).toFixed(2)} MiB, exported in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

manualSeed(0);
const C = r.meta.channels;
const img = randn([C, size, size]);
const data = img.mul(0.2).add(0.5).toFloat32Array();
img.dispose();
const shape = [C, size, size];

async function time(engine: SegmentationEngine): Promise<{ ms: number[]; labels: Uint8Array }> {
  const o = { tile: engine.tile, overlap: 0.5, batch, ...engine.stats };
  const { labels } = await slideWindows(data, shape, o, engine.forward); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const s = performance.now();
    await slideWindows(data, shape, o, engine.forward);
    ms.push(performance.now() - s);
  }
  return { ms, labels };
}

const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
const torch = openTorchEngine(a.run, "best", "cpu");
const byTorch = await time(torch);
await torch.close();
const ort = await openOnnxEngine(onnx, { threads });
const byOnnx = await time(ort);
await ort.close();
let same = 0;
for (let i = 0; i < byTorch.labels.length; i++) same += byTorch.labels[i] === byOnnx.labels[i] ? 1 : 0;
const line = (name: string, ms: number[]) =>
  `  ${name.padEnd(22)} median ${median(ms).toFixed(0).padStart(6)} ms  (min ${Math.min(...ms).toFixed(0)}, max ${Math.max(...ms).toFixed(0)}, ${repeats} runs)`;
console.log(`one ${C} x ${size} x ${size} image, ${threads} thread(s), batch ${batch}:`);
console.log(line("libtorch", byTorch.ms));
console.log(line("onnxruntime-node", byOnnx.ms));
console.log(`  labels agree on ${((100 * same) / byTorch.labels.length).toFixed(3)}% of pixels`);
