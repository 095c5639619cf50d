// The model in the browser: onnxruntime-web loaded from the app folder (WebGPU when the browser
// has an adapter, WASM otherwise), the model fetched with progress, and hemoseg predict's own
// sliding window (src/eval/sliding-window.ts, plain TypeScript) run batch by batch.
import type * as Ort from "onnxruntime-web";
import { WindowBlender } from "../../eval/sliding-window.js";
import type { AppConfig } from "./config.js";
import type { Stack } from "./decode.js";

export type Progress = (fraction: number, text: string) => void;

export interface Model {
  ort: typeof Ort;
  session: Ort.InferenceSession;
  backend: "webgpu" | "wasm";
}

async function hasWebGpu(): Promise<boolean> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) != null;
  } catch {
    return false;
  }
}

/** Fetches a file of the app folder, reporting bytes as they arrive. */
async function fetchBytes(name: string, progress: Progress): Promise<Uint8Array> {
  const res = await fetch(name);
  if (!res.ok || !res.body) throw new Error(`${name}: ${res.status} ${res.statusText}`);
  const total = Number(res.headers.get("content-length")) || 0;
  const chunks: Uint8Array[] = [];
  let got = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    const mb = (got / 1e6).toFixed(1);
    progress(
      total ? got / total : 0,
      `Loading model: ${mb}${total ? ` of ${(total / 1e6).toFixed(1)}` : ""} MB`,
    );
  }
  const out = new Uint8Array(got);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Loads onnxruntime-web and the app's model. */
export async function loadModel(cfg: AppConfig, progress: Progress): Promise<Model> {
  progress(0, "Loading onnxruntime-web");
  const gpu = await hasWebGpu();
  const base = new URL("ort/", document.baseURI).href;
  const ort = (await import(`${base}${gpu ? "ort.webgpu.min.mjs" : "ort.wasm.min.mjs"}`)) as typeof Ort;
  ort.env.wasm.wasmPaths = base;
  ort.env.wasm.numThreads = crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  const bytes = await fetchBytes(cfg.model, progress);
  progress(1, "Preparing the model");
  const backends: Model["backend"][] = gpu ? ["webgpu", "wasm"] : ["wasm"];
  let last: unknown;
  for (const backend of backends) {
    try {
      const session = await ort.InferenceSession.create(bytes, { executionProviders: [backend] });
      return { ort, session, backend };
    } catch (e) {
      last = e;
    }
  }
  throw new Error(`${cfg.model}: onnxruntime-web cannot run it: ${(last as Error).message}`);
}

/** Why this image cannot be segmented by this model, or null when it can. */
export function refusal(stack: Stack, cfg: AppConfig, name: string): string | null {
  if (stack.C !== cfg.channels)
    return `${name}: has ${stack.C} channel(s); the model was trained on ${cfg.channels}`;
  if (stack.H < cfg.tile || stack.W < cfg.tile)
    return `${name}: ${stack.H} x ${stack.W} is smaller than one ${cfg.tile} x ${cfg.tile} tile`;
  return null;
}

/** Labels a stack window by window with Hann blending, as hemoseg predict does; the argmax class per pixel. */
export async function segment(
  model: Model,
  cfg: AppConfig,
  stack: Stack,
  progress: Progress,
): Promise<Uint8Array> {
  const { C, H, W } = stack;
  const { tile } = cfg;
  const K = cfg.classes.length;
  const b = new WindowBlender(stack.data, [C, H, W], {
    tile,
    overlap: cfg.overlap,
    batch: cfg.batch,
    mean: cfg.mean,
    std: cfg.std,
  });
  const [input] = model.session.inputNames;
  const [output] = model.session.outputNames;
  const total = b.windows.length;
  for (let i = 0; i < total; i += b.batch) {
    progress(i / total, `Segmenting: window ${i + 1} of ${total}`);
    const n = Math.min(b.batch, total - i);
    const feed = new model.ort.Tensor("float32", b.tiles(i, n), [n, C, tile, tile]);
    const result = await model.session.run({ [input]: feed });
    const logits = result[output];
    if (logits.dims.length !== 4 || logits.dims[1] !== K)
      throw new Error(
        `${cfg.model}: gives logits of ${logits.dims.join(" x ")}, expected ${n} x ${K} x ${tile} x ${tile}`,
      );
    b.add(i, n, (await logits.getData()) as Float32Array);
    feed.dispose();
    logits.dispose();
  }
  progress(1, "Segmented");
  return b.finish().labels;
}
