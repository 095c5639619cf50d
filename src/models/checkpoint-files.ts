// The on-disk layout every hemoseg model shares with Hugging Face: dir/config.json + dir/model.safetensors.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeJson } from "../io/json.js";
import { loadSafetensors, saveSafetensors } from "../io/safetensors.js";
import { dispose, type nn, type Tensor } from "../torch/index.js";

export const CONFIG_FILE = "config.json";
export const WEIGHTS_FILE = "model.safetensors";

/** The name a config.json gives its model: "architecture" (hemoseg) or "model_type" (HF). */
export function architectureOf(json: Record<string, unknown>): unknown {
  return json.architecture ?? json.model_type;
}

/** dir's config.json and model.safetensors paths; throws naming whichever is missing. */
export function checkpointFiles(dir: string): { config: string; weights: string } {
  const config = join(dir, CONFIG_FILE);
  const weights = join(dir, WEIGHTS_FILE);
  for (const p of [config, weights]) if (!existsSync(p)) throw new Error(`${p}: not found`);
  return { config, weights };
}

/**
 * Copies a safetensors file into model (strict: missing, unexpected or mis-shaped keys fail, the
 * error naming the file); rename maps on-disk key spellings to the model's own.
 */
export function loadWeightsFile(
  model: nn.Module,
  path: string,
  rename: (key: string) => string = (k) => k,
): void {
  if (!existsSync(path)) throw new Error(`${path}: checkpoint weights not found`);
  const raw = loadSafetensors(path);
  try {
    const sd: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(raw)) {
      const key = rename(k);
      if (key in sd) throw new Error(`${path}: key '${k}' duplicates '${key}'`);
      sd[key] = t;
    }
    try {
      model.loadStateDict(sd);
    } catch (e) {
      throw new Error(`${path}: ${(e as Error).message}`);
    }
  } finally {
    dispose(raw);
  }
}

/** Writes config.json and model.safetensors into dir (created if needed), each atomically. */
export function saveCheckpoint(dir: string, model: nn.Module, config: unknown): void {
  mkdirSync(dir, { recursive: true });
  saveSafetensors(join(dir, WEIGHTS_FILE), model.stateDict(), { format: "pt" });
  writeJson(join(dir, CONFIG_FILE), config);
}
