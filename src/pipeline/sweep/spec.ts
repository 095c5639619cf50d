// A sweep spec: the data, base pre-training and fine-tuning options, recipes, a budget and a grid
// of axes; checked key by key with errors naming the spec file and the key.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { SynthDatasetsOptions } from "../../data/synth-datasets.js";
import { isJsonObject, readJson } from "../../io/json.js";
import { isPresetName } from "../../models/presets.js";
import { FINETUNE_DEFAULTS } from "../../train/finetune.js";
import { PRETRAIN_DEFAULTS, type PretrainOptions } from "../../train/pretrain.js";
import { type FinetuneSettings, RECIPES, type Recipe } from "../../train/recipes.js";

export type { FinetuneSettings, Recipe };

/** Pre-training options a spec may set (data, out, device and resume belong to the sweep). */
export type PretrainSettings = Omit<PretrainOptions, "data" | "out" | "device" | "resume">;

/** Epochs and steps per epoch of each stage (maxSteps 0: the whole split); scale multiplies every epoch count. */
export interface Budget {
  pretrain?: { epochs?: number; maxSteps?: number };
  finetune?: { epochs?: number; maxSteps?: number };
  scale?: number;
}

export type SweepData =
  | { synth: Omit<SynthDatasetsOptions, "out" | "overwrite"> }
  | { pretrain?: string; segmentation?: string };

export type Grid = Record<string, unknown[]>;

/** A spec's grids as a list. */
export const gridsOf = (spec: Pick<SweepSpec, "grid">): Grid[] =>
  Array.isArray(spec.grid) ? spec.grid : [spec.grid];

/** A curve drawn from the results: macro F1 against one grid axis (see sweep/curves.ts). */
export interface CurveSpec {
  /** The grid axis on the x axis ("pretrain.epochs" plots pre-training steps: epochs x budget maxSteps). */
  x: string;
  xLabel: string;
  /** Axes that do not split the series (e.g. an epochs axis that keeps steps equal). */
  ignore?: string[];
  logX?: boolean;
}

export interface SweepSpec {
  title?: string;
  description?: string;
  data: SweepData;
  pretrain?: Partial<PretrainSettings>;
  finetune?: Partial<FinetuneSettings>;
  /** Recipes beyond (or replacing) the built-in RECIPES of train/recipes.ts. */
  recipes?: Record<string, Recipe>;
  /** Pre-train only (the paper's §5.1 grids): no fine-tuning, rows report MAE losses. */
  pretrainOnly?: boolean;
  budget?: Budget;
  curve?: CurveSpec;
  /**
   * Axes: "pretrain.<option>", "finetune.<option>", "seed" (both stages) or "recipe", each a list of
   * values; or a list of such grids, whose points are pooled (e.g. a curve plus its flat references).
   */
  grid: Grid | Grid[];
}

/** Options the sweep itself sets. */
const RESERVED: Record<string, string> = {
  data: "set it in the spec's data section",
  out: "the sweep names every run directory",
  device: "use --device",
  resume: "use --resume",
  quiet: "the sweep sets it",
  encoder: "each point fine-tunes from its own pre-training (recipe pretrained: false for none)",
};
const BUDGET_KEYS = new Set(["epochs", "maxSteps"]);
const INTEGER_KEYS = new Set([
  "patch",
  "epochs",
  "batchTiles",
  "batchSize",
  "tile",
  "seed",
  "workers",
  "maxSteps",
  "featureSize",
  "frozenEpochs",
  "trainTiles",
]);
const POSITIVE_KEYS = new Set([
  "patch",
  "epochs",
  "batchTiles",
  "batchSize",
  "tile",
  "featureSize",
  "lr",
  "encoderLr",
  "blr",
]);

const strip = <T extends object>(o: T, keys: string[]) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
export const PRETRAIN_BASE = strip(PRETRAIN_DEFAULTS, ["device", "resume"]) as PretrainSettings;
export const FINETUNE_BASE = {
  ...strip(FINETUNE_DEFAULTS, ["device", "resume"]),
  arch: "unetr",
} as FinetuneSettings;
/** Optional pre-training keys, absent from the defaults (pretrainRecipe resolves them). */
const PRETRAIN_OPTIONAL = ["blr", "optimizer", "weightDecay", "clipGrad"];
const PRETRAIN_KEYS = [...Object.keys(PRETRAIN_BASE), ...PRETRAIN_OPTIONAL];
/** encoderLr, trainTiles and tile are optional (absent from the defaults: the head's lr applies, all tiles train, whole square images). */
const FINETUNE_OPTIONAL = ["encoderLr", "trainTiles", "tile"];
const FINETUNE_KEYS = [...Object.keys(FINETUNE_BASE), ...FINETUNE_OPTIONAL];

/** A spec problem: names the spec file and the offending key. */
export class SpecError extends Error {}

export const isObject = isJsonObject;

function checkOption(
  stage: "pretrain" | "finetune",
  key: string,
  v: unknown,
  at: string,
  fail: (m: string) => never,
): void {
  if (Object.hasOwn(RESERVED, key)) fail(`${at}: '${key}' cannot be set here (${RESERVED[key]})`);
  const known = stage === "pretrain" ? PRETRAIN_KEYS : FINETUNE_KEYS;
  if (!known.includes(key)) fail(`${at}: unknown ${stage} option '${key}' (known: ${known.join(", ")})`);
  const dflt = (stage === "pretrain" ? PRETRAIN_BASE : FINETUNE_BASE) as unknown as Record<string, unknown>;
  // The optional keys are all numbers except the optimizer, which has its own check below.
  const optional = (stage === "pretrain" ? PRETRAIN_OPTIONAL : FINETUNE_OPTIONAL).includes(key);
  const want = optional ? 0 : dflt[key];
  if (key === "optimizer") {
    if (v !== "adam" && v !== "adamw")
      fail(`${at}: optimizer must be "adam" or "adamw" (AdamW), got ${JSON.stringify(v)}`);
  } else if (key === "model") {
    if (typeof v !== "string" || !isPresetName(v))
      fail(`${at}: model must be model1 or model2, got ${JSON.stringify(v)}`);
  } else if (key === "arch") {
    if (v !== "unetr" && v !== "unet") fail(`${at}: arch must be unetr or unet, got ${JSON.stringify(v)}`);
  } else if (key === "classWeights") {
    const ok =
      v === "none" ||
      v === "balanced" ||
      (Array.isArray(v) && v.every((w) => typeof w === "number" && w >= 0));
    if (!ok) fail(`${at}: classWeights must be "none", "balanced" or a list of non-negative numbers`);
  } else if (Array.isArray(want)) {
    if (
      !Array.isArray(v) ||
      v.length !== want.length ||
      !v.every((x) => typeof x === "number" && Number.isFinite(x))
    )
      fail(`${at}: ${key} must be a list of ${want.length} numbers, got ${JSON.stringify(v)}`);
  } else if (typeof want === "number") {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      fail(`${at}: ${key} must be a non-negative number, got ${JSON.stringify(v)}`);
    if (INTEGER_KEYS.has(key) && !Number.isInteger(v)) fail(`${at}: ${key} must be an integer, got ${v}`);
    if (POSITIVE_KEYS.has(key) && v === 0) fail(`${at}: ${key} must be positive`);
    if (key === "maskRatio" && !(v > 0 && v < 1))
      fail(`${at}: maskRatio must lie strictly between 0 and 1, got ${v}`);
  } else if (typeof want === "boolean") {
    if (typeof v !== "boolean") fail(`${at}: ${key} must be true or false, got ${JSON.stringify(v)}`);
  }
}

function checkOptions(
  stage: "pretrain" | "finetune",
  o: unknown,
  at: string,
  fail: (m: string) => never,
  budgetHere = false,
): void {
  if (!isObject(o)) fail(`${at} must be an object of ${stage} options`);
  for (const [k, v] of Object.entries(o)) {
    if (!budgetHere && BUDGET_KEYS.has(k))
      fail(`${at}.${k}: set epochs and maxSteps in "budget" (or as a grid axis)`);
    checkOption(stage, k, v, `${at}.${k}`, fail);
  }
}

const SPEC_KEYS = [
  "title",
  "description",
  "data",
  "pretrain",
  "finetune",
  "recipes",
  "pretrainOnly",
  "budget",
  "curve",
  "grid",
];
const SYNTH_KEYS = ["stacks", "tiles", "seed", "channels", "size", "tile", "labelFraction"];

/** Checks a parsed spec; relative data directories are taken from the spec file's folder. */
export function validateSpec(raw: unknown, file: string): SweepSpec {
  // Annotated so that TypeScript narrows after each fail() call.
  const fail: (m: string) => never = (m) => {
    throw new SpecError(`${file}: ${m}`);
  };
  if (!isObject(raw)) fail("a sweep spec must be a JSON object");
  const s = raw as Record<string, unknown>;
  for (const k of Object.keys(s))
    if (!SPEC_KEYS.includes(k)) fail(`unknown key '${k}' (known: ${SPEC_KEYS.join(", ")})`);
  for (const k of ["title", "description"])
    if (s[k] !== undefined && typeof s[k] !== "string") fail(`${k} must be a string`);
  if (s.pretrainOnly !== undefined && typeof s.pretrainOnly !== "boolean")
    fail("pretrainOnly must be true or false");
  const pretrainOnly = s.pretrainOnly === true;

  if (!isObject(s.data))
    fail(
      `data must be an object: { "synth": { "stacks": N, "tiles": M } } or { "pretrain": DIR, "segmentation": DIR }`,
    );
  const data = s.data as Record<string, unknown>;
  let resolvedData: SweepData;
  if (data.synth !== undefined) {
    if (Object.keys(data).length !== 1) fail("data: synth cannot be combined with dataset directories");
    if (!isObject(data.synth)) fail("data.synth must be an object");
    for (const [k, v] of Object.entries(data.synth)) {
      if (!SYNTH_KEYS.includes(k))
        fail(`data.synth.${k}: unknown synth option (known: ${SYNTH_KEYS.join(", ")})`);
      const intOk =
        k === "labelFraction"
          ? typeof v === "number" && v > 0 && v <= 1
          : Number.isInteger(v) && (v as number) >= (k === "seed" ? 0 : 1);
      if (!intOk) fail(`data.synth.${k}: bad value ${JSON.stringify(v)}`);
    }
    resolvedData = { synth: { ...data.synth } };
  } else {
    const dirs: { pretrain?: string; segmentation?: string } = {};
    for (const [k, v] of Object.entries(data)) {
      if (k !== "pretrain" && k !== "segmentation")
        fail(`data.${k}: unknown key (synth, pretrain or segmentation)`);
      if (typeof v !== "string" || !v) fail(`data.${k} must be a dataset directory`);
      const dir = resolve(dirname(file), v as string);
      if (!existsSync(join(dir, "dataset.json")))
        fail(`data.${k}: ${dir} is not a dataset directory (no dataset.json)`);
      dirs[k as "pretrain" | "segmentation"] = dir;
    }
    if (!pretrainOnly && !dirs.segmentation)
      fail("data.segmentation: a segmentation dataset is needed to fine-tune");
    resolvedData = dirs;
  }

  if (s.pretrain !== undefined) checkOptions("pretrain", s.pretrain, "pretrain", fail);
  if (pretrainOnly && (s.finetune !== undefined || s.recipes !== undefined))
    fail("a pretrainOnly sweep takes no finetune options or recipes");
  if (s.finetune !== undefined) checkOptions("finetune", s.finetune, "finetune", fail);
  const recipes = { ...RECIPES };
  if (s.recipes !== undefined) {
    if (!isObject(s.recipes)) fail("recipes must be an object of named finetune overrides");
    for (const [name, r] of Object.entries(s.recipes)) {
      if (!isObject(r)) fail(`recipes.${name} must be an object`);
      const { pretrained, ...opts } = r;
      if (pretrained !== undefined && typeof pretrained !== "boolean")
        fail(`recipes.${name}.pretrained must be true or false`);
      checkOptions("finetune", opts, `recipes.${name}`, fail, true);
      if (pretrained === true && opts.arch === "unet")
        fail(`recipes.${name}: a U-Net has no encoder to pre-train`);
      recipes[name] = r as Recipe;
    }
  }

  if (s.budget !== undefined) {
    if (!isObject(s.budget)) fail("budget must be an object");
    for (const [k, v] of Object.entries(s.budget)) {
      if (k === "scale") {
        if (typeof v !== "number" || !(v > 0))
          fail(`budget.scale must be a positive number, got ${JSON.stringify(v)}`);
        continue;
      }
      if (k !== "pretrain" && k !== "finetune")
        fail(`budget.${k}: unknown key (pretrain, finetune or scale)`);
      if (!isObject(v)) fail(`budget.${k} must be an object { "epochs": N, "maxSteps": M }`);
      for (const [bk, bv] of Object.entries(v)) {
        if (!BUDGET_KEYS.has(bk)) fail(`budget.${k}.${bk}: unknown key (epochs or maxSteps)`);
        checkOption(k as "pretrain" | "finetune", bk, bv, `budget.${k}.${bk}`, fail);
      }
    }
  }

  const setsPretrain = (k: string) =>
    (isObject(s.pretrain) && s.pretrain[k] !== undefined) ||
    (Array.isArray(s.grid) ? s.grid : [s.grid]).some((g) => isObject(g) && `pretrain.${k}` in g);
  if (setsPretrain("lr") && setsPretrain("blr"))
    fail("pretrain: lr and blr cannot both be set (blr sets lr = blr x batchTiles / 256)");

  const grids = Array.isArray(s.grid) ? s.grid : [s.grid];
  if (grids.length === 0) fail("grid: a list of grids must not be empty");
  grids.forEach((g, gi) => {
    const where = Array.isArray(s.grid) ? `grid[${gi}]` : "grid";
    if (!isObject(g))
      fail(
        `${where} must be an object of axes, e.g. { "finetune.featureSize": [32, 64] } (or grid a list of such objects)`,
      );
    if ("seed" in g && ("pretrain.seed" in g || "finetune.seed" in g))
      fail(`${where}: "seed" sets both stages' seeds; drop it or the per-stage seed axis`);
    for (const [key, values] of Object.entries(g)) {
      const at = `${where}["${key}"]`;
      if (!Array.isArray(values) || values.length === 0) fail(`${at} must be a non-empty list of values`);
      const seen = new Set(values.map(stableJson));
      if (seen.size !== values.length) fail(`${at} lists a value twice`);
      const [stage, opt, ...rest] = key.split(".");
      if (key === "seed") {
        for (const v of values) checkOption("pretrain", "seed", v, at, fail);
      } else if (key === "recipe") {
        if (pretrainOnly) fail(`${at}: a pretrainOnly sweep has no recipes`);
        for (const v of values)
          if (typeof v !== "string" || !Object.hasOwn(recipes, v))
            fail(`${at}: unknown recipe ${JSON.stringify(v)} (known: ${Object.keys(recipes).join(", ")})`);
      } else if ((stage === "pretrain" || stage === "finetune") && opt && rest.length === 0) {
        if (stage === "finetune" && pretrainOnly) fail(`${at}: a pretrainOnly sweep fine-tunes nothing`);
        for (const v of values) checkOption(stage, opt, v, at, fail);
      } else {
        fail(`${at}: unknown axis (use "pretrain.<option>", "finetune.<option>", "seed" or "recipe")`);
      }
    }
  });
  if (s.curve !== undefined) {
    const c = s.curve;
    if (!isObject(c)) fail(`curve must be an object { "x": AXIS, "xLabel": TEXT }`);
    for (const k of Object.keys(c))
      if (!["x", "xLabel", "ignore", "logX"].includes(k))
        fail(`curve.${k}: unknown key (x, xLabel, ignore or logX)`);
    const axes = new Set(grids.flatMap((g) => Object.keys(g as object)));
    if (typeof c.x !== "string" || !axes.has(c.x))
      fail(`curve.x must be one of the grid's axes (${[...axes].join(", ")}), got ${JSON.stringify(c.x)}`);
    if (typeof c.xLabel !== "string") fail("curve.xLabel must be a string");
    if (c.ignore !== undefined && !(Array.isArray(c.ignore) && c.ignore.every((a) => axes.has(a))))
      fail("curve.ignore must be a list of the grid's axes");
    if (c.logX !== undefined && typeof c.logX !== "boolean") fail("curve.logX must be true or false");
  }
  return {
    ...(s as unknown as SweepSpec),
    data: resolvedData,
    recipes: s.recipes as Record<string, Recipe> | undefined,
  };
}

/** Reads and validates a spec file. */
export function loadSpec(file: string): SweepSpec {
  let raw: unknown;
  try {
    raw = readJson(file, "spec");
  } catch (e) {
    throw new SpecError((e as Error).message);
  }
  return validateSpec(raw, file);
}

/** Command-line budget changes: epochs (fine-tuning, or pre-training in a pretrain-only sweep), pre-training epochs, steps per epoch of both stages, scale. */
export interface BudgetOverrides {
  epochs?: number;
  pretrainEpochs?: number;
  maxSteps?: number;
  scale?: number;
}

export function withBudget(spec: SweepSpec, o: BudgetOverrides): SweepSpec {
  const b: Budget = {
    pretrain: { ...spec.budget?.pretrain },
    finetune: { ...spec.budget?.finetune },
    scale: spec.budget?.scale,
  };
  if (o.epochs !== undefined) b[spec.pretrainOnly ? "pretrain" : "finetune"]!.epochs = o.epochs;
  if (o.pretrainEpochs !== undefined) b.pretrain!.epochs = o.pretrainEpochs;
  if (o.maxSteps !== undefined) {
    b.pretrain!.maxSteps = o.maxSteps;
    b.finetune!.maxSteps = o.maxSteps;
  }
  if (o.scale !== undefined) b.scale = (b.scale ?? 1) * o.scale;
  return { ...spec, budget: b };
}

/** JSON with object keys sorted, so equal options hash equally. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (isObject(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** "budget: pre-training 4 epochs x 8 steps, fine-tuning 2 epochs (grid values and recipes may differ)". */
export function budgetText(b: Budget | undefined, pretrainOnly: boolean): string {
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? "" : "s"}`;
  const stage = (name: string, s: { epochs?: number; maxSteps?: number } | undefined, dflt: number) =>
    `${name} ${n(Math.max(1, Math.round((s?.epochs ?? dflt) * (b?.scale ?? 1))), "epoch")}${s?.maxSteps ? ` x ${n(s.maxSteps, "step")}` : ""}`;
  const parts = [stage("pre-training", b?.pretrain, PRETRAIN_DEFAULTS.epochs)];
  if (!pretrainOnly) parts.push(stage("fine-tuning", b?.finetune, FINETUNE_DEFAULTS.epochs));
  return `budget: ${parts.join(", ")} (unless an axis or recipe sets them)`;
}
