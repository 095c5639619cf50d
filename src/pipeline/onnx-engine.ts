// A hemoseg ONNX export run by onnxruntime-node: the libtorch-free segmentation engine. Nothing
// here (or in what it imports) touches a tensor of hemoseg's, so libtorch is never loaded.
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { parseMetadataProps, readMetadataProps } from "../export/onnx/metadata.js";
import type { SegmentationEngine } from "./engine.js";

export interface OnnxEngineOptions {
  /** Threads for onnxruntime's operators (default: its own choice, one per core). */
  threads?: number;
}

/** Opens an exported segmenter (hemoseg export --onnx); refuses feature extractors and foreign models. */
export async function openOnnxEngine(file: string, o: OnnxEngineOptions = {}): Promise<SegmentationEngine> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const meta = parseMetadataProps(readMetadataProps(bytes, file), file);
  if (meta.task !== "segmentation" || !meta.classes)
    throw new Error(
      `${file}: a ${meta.architecture} feature extractor (task '${meta.task}'), not a segmenter`,
    );
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: "all",
      ...(o.threads ? { intraOpNumThreads: o.threads, interOpNumThreads: 1 } : {}),
    });
  } catch (e) {
    throw new Error(`${file}: onnxruntime cannot load it: ${(e as Error).message}`);
  }
  const { channels: C, tile: T, input, output, classes } = meta;
  return {
    name: "onnxruntime",
    classes,
    tile: T,
    channels: C,
    stats: { mean: meta.mean, std: meta.std },
    source: { onnx: file, ...(meta.sourceRun ? { run: meta.sourceRun } : {}) },
    async forward(tiles, n) {
      const out = await session.run({ [input]: new ort.Tensor("float32", tiles, [n, C, T, T]) });
      const logits = out[output];
      if (logits?.type !== "float32")
        throw new Error(`${file}: the model gave no float32 output '${output}'`);
      return logits.data as Float32Array;
    },
    close: () => session.release(),
  };
}
