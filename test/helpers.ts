// Shared test helpers: fixture paths and numeric comparison.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ViTConfig } from "../src/models/vit.js";
import type { Tensor } from "../src/torch/index.js";

/** The repository root (tests run from dist/test/...). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Test data kept in the repository (see test/fixtures/README.md and test/data/real/README.md). */
export const FIXTURES = join(ROOT, "test", "fixtures");
export const REAL_DATA = join(ROOT, "test", "data", "real");
export const fixture = (...p: string[]): string => {
  const f = join(FIXTURES, ...p);
  assert.ok(existsSync(f), `fixture ${f} is missing`);
  return f;
};

/** Largest absolute difference between two tensors of the same shape. */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.shape, b.shape, `shape [${a.shape}] vs [${b.shape}]`);
  const x = a.toFloat32Array();
  const y = b.toFloat32Array();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

export function assertClose(a: Tensor, b: Tensor, atol: number, what = "tensor"): void {
  const d = maxAbsDiff(a, b);
  assert.ok(d <= atol, `${what}: max |diff| ${d.toExponential(3)} > ${atol}`);
}

/** A small ViT encoder config for layout tests (hidden 24, 3 layers, 2 heads, 32 x 32 input). */
export function tinyViT(patchSize: number, over: Partial<ViTConfig> = {}): ViTConfig {
  return {
    hiddenSize: 24,
    numHiddenLayers: 3,
    numAttentionHeads: 2,
    intermediateSize: 32,
    hiddenAct: "gelu",
    layerNormEps: 1e-6,
    imageSize: 32,
    patchSize,
    numChannels: 3,
    qkvBias: true,
    initializerRange: 0.02,
    hiddenDropoutProb: 0,
    attentionProbsDropoutProb: 0,
    ...over,
  };
}
