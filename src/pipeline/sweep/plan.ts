// A sweep's points: the grid's cartesian product (first axis slowest), each with its pre-training
// and fine-tuning options and run directories; points with equal pre-training share one.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { SynthDatasetsOptions } from "../../data/synth-datasets.js";
import { ADAMW_WEIGHT_DECAY } from "../../train/pretrain.js";
import { RECIPES } from "../../train/recipes.js";
import {
  FINETUNE_BASE,
  type FinetuneSettings,
  gridsOf,
  PRETRAIN_BASE,
  type PretrainSettings,
  type Recipe,
  SpecError,
  type SweepSpec,
  stableJson,
} from "./spec.js";

export const hash8 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 8);

export interface SweepPoint {
  /** Readable and unique: "featureSize-64_seed-1". */
  name: string;
  /** Axis key -> value. */
  values: Record<string, unknown>;
  /** The point's pre-training, or null when it fine-tunes without one. */
  pretrain: PretrainSettings | null;
  /** <out>/pretrain/<model>-p<patch>-m<ratio>-<hash8 of the options and data>. */
  pretrainDir: string | null;
  finetune: FinetuneSettings | null;
  /** <out>/runs/<name>; the pre-training dir in a pretrain-only sweep. */
  runDir: string;
}

export interface SweepPlan {
  spec: SweepSpec;
  title: string;
  out: string;
  axes: { key: string; label: string; values: unknown[] }[];
  data: { pretrain?: string; segmentation?: string; synth?: SweepSpecSynth };
  points: SweepPoint[];
}
type SweepSpecSynth = Omit<SynthDatasetsOptions, "out" | "overwrite">;

/** Identity of the data a run trained on: the synth options, or the dataset.json it read. */
export function dataId(plan: Pick<SweepPlan, "data">, which: "pretrain" | "segmentation"): string {
  if (plan.data.synth) return hash8(stableJson({ synth: plan.data.synth, which }));
  const dir = plan.data[which];
  return dir ? hash8(readFileSync(join(dir, "dataset.json"), "utf8")) : "none";
}

const valueText = (v: unknown) =>
  (Array.isArray(v) ? v.join(",") : String(v)).replace(/[^A-Za-z0-9.,+-]/g, "-");

/** Expands the grid into points (first axis slowest), with their options and run directories. */
export function planSweep(spec: SweepSpec, o: { out: string; seed?: number; name?: string }): SweepPlan {
  const out = resolve(o.out);
  const recipes = { ...RECIPES, ...spec.recipes };
  const grids = gridsOf(spec);
  const keys = [...new Set(grids.flatMap((g) => Object.keys(g)))];
  const short = keys.map((k) => k.split(".").pop()!);
  const axes = keys.map((key, i) => {
    const values: unknown[] = [];
    for (const g of grids)
      for (const v of g[key] ?? []) if (!values.some((w) => stableJson(w) === stableJson(v))) values.push(v);
    return { key, label: short.filter((s) => s === short[i]).length > 1 ? key : short[i], values };
  });
  const data: SweepPlan["data"] =
    "synth" in spec.data
      ? {
          synth: spec.data.synth,
          pretrain: join(out, "data", "pretrain"),
          segmentation: join(out, "data", "segmentation"),
        }
      : { ...spec.data };
  const plan: SweepPlan = { spec, title: spec.title ?? o.name ?? "sweep", out, axes, data, points: [] };
  // Each grid's cartesian product in the order of the axes, the grids one after another.
  const combos = grids.flatMap((g) => {
    let cs: Record<string, unknown>[] = [{}];
    for (const a of axes) if (g[a.key]) cs = cs.flatMap((c) => g[a.key].map((v) => ({ ...c, [a.key]: v })));
    return cs;
  });

  const scale = spec.budget?.scale ?? 1;
  const scaled = (e: number) => Math.max(1, Math.round(e * scale));
  const seed = o.seed ?? 0;
  for (const values of combos) {
    const pick = (stage: string) =>
      Object.fromEntries(
        Object.entries(values).flatMap(([k, v]) =>
          k === "seed" ? [["seed", v]] : k.startsWith(`${stage}.`) ? [[k.slice(stage.length + 1), v]] : [],
        ),
      );
    const pre: PretrainSettings = {
      ...PRETRAIN_BASE,
      seed,
      ...spec.pretrain,
      ...spec.budget?.pretrain,
      ...pick("pretrain"),
    };
    pre.epochs = scaled(pre.epochs);
    // Resolved here so that a sweep's Adam runs keep the identity (and cache) they had before AdamW.
    pre.weightDecay ??= pre.optimizer === "adamw" ? ADAMW_WEIGHT_DECAY : 0;
    // "featureSize-64", but "paper" and "model1" where the value names itself.
    const part = (a: (typeof axes)[number]) => {
      const v = valueText(values[a.key]);
      return a.key === "recipe" || v.startsWith(a.label) ? v : `${a.label}-${v}`;
    };
    const name =
      axes
        .filter((a) => a.key in values)
        .map(part)
        .join("_") || "base";
    let ft: FinetuneSettings | null = null;
    let pretrained = true;
    if (!spec.pretrainOnly) {
      const { pretrained: usesEncoder, ...recipe } =
        values.recipe !== undefined ? recipes[values.recipe as string] : ({} as Recipe);
      // The encoder shape follows the pre-training unless set: a scratch UNETR matches the pre-trained one.
      ft = {
        ...FINETUNE_BASE,
        model: pre.model,
        patch: pre.patch,
        seed,
        ...spec.finetune,
        ...spec.budget?.finetune,
        ...recipe,
        ...pick("finetune"),
      };
      ft.epochs = scaled(ft.epochs);
      pretrained = usesEncoder ?? ft.arch !== "unet";
    }
    let pretrainDir: string | null = null;
    if (pretrained) {
      const { workers: _, ...identity } = pre;
      const id = hash8(stableJson({ ...identity, data: dataId(plan, "pretrain") }));
      pretrainDir = join(out, "pretrain", `${pre.model}-p${pre.patch}-m${pre.maskRatio}-${id}`);
    }
    plan.points.push({
      name,
      values,
      pretrain: pretrained ? pre : null,
      pretrainDir,
      finetune: ft,
      runDir: ft ? join(out, "runs", name) : pretrainDir!,
    });
  }
  const names = new Set(plan.points.map((p) => p.name));
  if (names.size !== plan.points.length)
    throw new SpecError(
      `${plan.title}: two points get the same run name once values are made file-safe; change a value`,
    );
  if (plan.points.some((p) => p.pretrain) && !data.pretrain)
    throw new SpecError(`${plan.title}: data.pretrain: a pre-training dataset is needed`);
  return plan;
}
