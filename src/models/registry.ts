// Architecture name -> model class, as transformers' AutoModel: a checkpoint's config.json names
// what it holds ("architecture" in hemoseg's UNETR and U-Net configs, "model_type" in Hugging
// Face's), and the class of that name loads it.
import { join } from "node:path";
import { readJsonObject } from "../io/json.js";
import { architectureOf, CONFIG_FILE } from "./checkpoint-files.js";
import { BasicUNet } from "./unet.js";
import { UNETR } from "./unetr.js";
import { ViTMAEForPreTraining } from "./vitmae.js";

/** Every model hemoseg saves, by the name its config.json gives. */
export const ARCHITECTURES = {
  unetr: UNETR,
  basic_unet: BasicUNet,
  vit_mae: ViTMAEForPreTraining,
} as const;
export type ArchitectureName = keyof typeof ARCHITECTURES;
export type AnyModel = InstanceType<(typeof ARCHITECTURES)[ArchitectureName]>;

/** Segmentation models: what `predict`, `evaluate` and the report load from a run. */
export const SEGMENTERS = ["unetr", "basic_unet"] as const satisfies readonly ArchitectureName[];
export type SegmentationModel = InstanceType<(typeof ARCHITECTURES)[(typeof SEGMENTERS)[number]]>;

/** dir/config.json's architecture, checked against `allowed`; errors name the file. */
export function readArchitecture<N extends ArchitectureName>(dir: string, allowed: readonly N[]): N {
  const path = join(dir, CONFIG_FILE);
  const name = architectureOf(readJsonObject(path, "config"));
  if (!allowed.includes(name as N))
    throw new Error(
      `${path}: unknown architecture ${JSON.stringify(name)} (expected ${allowed.join(" or ")})`,
    );
  return name as N;
}

/** Loads the model of a checkpoint directory, whichever architecture its config.json names. */
export function loadPretrained(dir: string): AnyModel {
  const name = readArchitecture(dir, Object.keys(ARCHITECTURES) as ArchitectureName[]);
  return ARCHITECTURES[name].fromPretrained(dir);
}

/** Loads a UNETR or U-Net checkpoint directory; any other architecture is refused. */
export function loadSegmenterDir(dir: string): SegmentationModel {
  return ARCHITECTURES[readArchitecture(dir, SEGMENTERS)].fromPretrained(dir);
}
