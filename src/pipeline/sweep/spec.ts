// A sweep spec: the data, base pre-training and fine-tuning options, recipes, a budget and a grid
// of axes; checked key by key, one error naming the spec file and every bad key.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { SynthDatasetsOptions } from "../../data/synth-datasets.js";
import { Fields, isJsonObject, type JsonObject, readJson } from "../../io/json.js";
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

/** A spec problem: names the spec file and every offending key. */
export class SpecError extends Error {}

export const isObject = isJsonObject;

type Stage = "pretrain" | "finetune";

/** Whether key is a stage option a spec may set; notes why not at f's `at` otherwise. */
function checkKey(f: Fields, stage: Stage, key: string, at: string): boolean {
  if (Object.hasOwn(RESERVED, key)) {
    f.problem(at, `cannot be set here (${RESERVED[key]})`);
    return false;
  }
  const known = stage === "pretrain" ? PRETRAIN_KEYS : FINETUNE_KEYS;
  if (known.includes(key)) return true;
  f.problem(at, `is an unknown ${stage} option '${key}' (known: ${known.join(", ")})`);
  return false;
}

/** The problem with value v of a known stage option, if any. */
function valueProblem(stage: Stage, key: string, v: unknown): string | undefined {
  const dflt = (stage === "pretrain" ? PRETRAIN_BASE : FINETUNE_BASE) as unknown as Record<string, unknown>;
  // The optional keys are all numbers except the optimizer, which has its own check below.
  const optional = (stage === "pretrain" ? PRETRAIN_OPTIONAL : FINETUNE_OPTIONAL).includes(key);
  const want = optional ? 0 : dflt[key];
  const got = JSON.stringify(v);
  if (key === "optimizer")
    return v === "adam" || v === "adamw" ? undefined : `must be "adam" or "adamw" (AdamW), got ${got}`;
  if (key === "model")
    return typeof v === "string" && isPresetName(v) ? undefined : `must be model1 or model2, got ${got}`;
  if (key === "arch") return v === "unetr" || v === "unet" ? undefined : `must be unetr or unet, got ${got}`;
  if (key === "classWeights") {
    const ok =
      v === "none" ||
      v === "balanced" ||
      (Array.isArray(v) && v.every((w) => typeof w === "number" && w >= 0));
    return ok ? undefined : `must be "none", "balanced" or a list of non-negative numbers, got ${got}`;
  }
  if (Array.isArray(want)) {
    const ok =
      Array.isArray(v) &&
      v.length === want.length &&
      v.every((x) => typeof x === "number" && Number.isFinite(x));
    return ok ? undefined : `must be a list of ${want.length} numbers, got ${got}`;
  }
  if (typeof want === "number") {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      return `must be a non-negative number, got ${got}`;
    if (INTEGER_KEYS.has(key) && !Number.isInteger(v)) return `must be an integer, got ${v}`;
    if (POSITIVE_KEYS.has(key) && v === 0) return "must be positive";
    if (key === "maskRatio" && !(v > 0 && v < 1)) return `must lie strictly between 0 and 1, got ${v}`;
  }
  if (typeof want === "boolean" && typeof v !== "boolean") return `must be true or false, got ${got}`;
  return undefined;
}

function checkValue(f: Fields, stage: Stage, key: string, v: unknown, at: string): void {
  const why = valueProblem(stage, key, v);
  if (why) f.problem(at, why);
}

/** A stage's options (epochs and maxSteps belong in the budget unless budgetHere). */
function checkOptions(o: Fields | undefined, stage: Stage, budgetHere = false): void {
  if (!o) return;
  for (const [k, v] of Object.entries(o.json)) {
    if (!budgetHere && BUDGET_KEYS.has(k))
      o.problem(k, `cannot be set here (set epochs and maxSteps in "budget" or as a grid axis)`);
    else if (checkKey(o, stage, k, k)) checkValue(o, stage, k, v, k);
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

/** The data section: synthetic data, or dataset directories relative to the spec file's folder. */
function checkData(f: Fields, file: string, pretrainOnly: boolean): SweepData {
  if (!isJsonObject(f.json.data)) {
    f.problem(
      "data",
      `must be an object: { "synth": { "stacks": N, "tiles": M } } or { "pretrain": DIR, "segmentation": DIR }`,
    );
    return {};
  }
  const d = new Fields(f.json.data, f.problems, "data.");
  if (d.json.synth !== undefined) {
    if (Object.keys(d.json).length !== 1) d.problem("synth", "cannot be combined with dataset directories");
    const synth = d.object("synth");
    if (!synth) return { synth: {} };
    synth.only(SYNTH_KEYS, "synth option");
    for (const k of SYNTH_KEYS.filter((k) => k in synth.json)) {
      if (k !== "labelFraction") synth.int(k, undefined, k === "seed" ? 0 : 1);
      else if (!(typeof synth.json[k] === "number" && synth.json[k] > 0 && synth.json[k] <= 1))
        synth.problem(k, `must be a number in (0, 1], got ${JSON.stringify(synth.json[k])}`);
    }
    return { synth: { ...synth.json } };
  }
  d.only(["synth", "pretrain", "segmentation"]);
  const dirs: { pretrain?: string; segmentation?: string } = {};
  for (const k of ["pretrain", "segmentation"] as const) {
    if (!(k in d.json)) continue;
    const v = d.text(k);
    if (typeof v !== "string" || !v) continue;
    const dir = resolve(dirname(file), v);
    if (existsSync(join(dir, "dataset.json"))) dirs[k] = dir;
    else d.problem(k, `must be a dataset directory, but ${dir} has no dataset.json`);
  }
  if (!pretrainOnly && !("segmentation" in d.json))
    d.problem("segmentation", "must name a segmentation dataset: one is needed to fine-tune");
  return dirs;
}

/** The built-in recipes plus the spec's own, each a set of finetune overrides. */
function checkRecipes(f: Fields): Record<string, Recipe> {
  const recipes = { ...RECIPES };
  const rs = f.object("recipes", true);
  for (const name of Object.keys(rs?.json ?? {})) {
    const r = rs!.object(name);
    if (!r) continue;
    r.bool("pretrained", false);
    const { pretrained, ...opts } = r.json;
    checkOptions(new Fields(opts, f.problems, r.at), "finetune", true);
    if (pretrained === true && opts.arch === "unet")
      r.problem("pretrained", "cannot be true: a U-Net has no encoder to pre-train");
    recipes[name] = r.json as Recipe;
  }
  return recipes;
}

function checkBudget(f: Fields): void {
  const b = f.object("budget", true);
  if (!b) return;
  b.only(["pretrain", "finetune", "scale"]);
  const scale = b.json.scale;
  if (scale != null && !(typeof scale === "number" && scale > 0))
    b.problem("scale", `must be a positive number, got ${JSON.stringify(scale)}`);
  for (const stage of ["pretrain", "finetune"] as const) {
    const s = b.object(stage, true);
    if (!s) continue;
    s.only([...BUDGET_KEYS]);
    for (const [k, v] of Object.entries(s.json)) if (BUDGET_KEYS.has(k)) checkValue(s, stage, k, v, k);
  }
}

/** One grid axis: a non-empty list of distinct values of a known option, recipe or seed. */
function checkAxis(
  g: Fields,
  key: string,
  values: unknown,
  pretrainOnly: boolean,
  recipes: Record<string, Recipe>,
): void {
  const at = `["${key}"]`;
  if (!Array.isArray(values) || values.length === 0) {
    g.problem(at, "must be a non-empty list of values");
    return;
  }
  if (new Set(values.map(stableJson)).size !== values.length) g.problem(at, "lists a value twice");
  const [stage, opt, ...rest] = key.split(".");
  if (key === "seed") {
    for (const v of values) checkValue(g, "pretrain", "seed", v, at);
  } else if (key === "recipe") {
    if (pretrainOnly) g.problem(at, "is not allowed: a pretrainOnly sweep has no recipes");
    for (const v of values)
      if (typeof v !== "string" || !Object.hasOwn(recipes, v))
        g.problem(
          at,
          `names an unknown recipe ${JSON.stringify(v)} (known: ${Object.keys(recipes).join(", ")})`,
        );
  } else if ((stage === "pretrain" || stage === "finetune") && opt && rest.length === 0) {
    if (stage === "finetune" && pretrainOnly)
      g.problem(at, "is not allowed: a pretrainOnly sweep fine-tunes nothing");
    if (checkKey(g, stage, opt, at)) for (const v of values) checkValue(g, stage, opt, v, at);
  } else {
    g.problem(at, `is an unknown axis (use "pretrain.<option>", "finetune.<option>", "seed" or "recipe")`);
  }
}

/** The grid (an object of axes, or a list of them); returns the grids that are objects. */
function checkGrids(f: Fields, pretrainOnly: boolean, recipes: Record<string, Recipe>): JsonObject[] {
  const list = Array.isArray(f.json.grid);
  const grids: unknown[] = list ? (f.json.grid as unknown[]) : [f.json.grid];
  if (grids.length === 0) f.problem("grid", "must not be an empty list of grids");
  return grids.filter((raw, gi): raw is JsonObject => {
    const where = list ? `grid[${gi}]` : "grid";
    if (!isJsonObject(raw)) {
      f.problem(
        where,
        `must be an object of axes, e.g. { "finetune.featureSize": [32, 64] } (or grid a list of such objects)`,
      );
      return false;
    }
    const g = new Fields(raw, f.problems, where);
    if ("seed" in raw && ("pretrain.seed" in raw || "finetune.seed" in raw))
      g.problem('["seed"]', "sets both stages' seeds; drop it or the per-stage seed axis");
    for (const [key, values] of Object.entries(raw)) checkAxis(g, key, values, pretrainOnly, recipes);
    return true;
  });
}

/** lr and blr (lr = blr x batchTiles / 256) exclude each other, in the base options or the grid. */
function checkLrBlr(f: Fields): void {
  const pretrain = f.json.pretrain;
  const grids = Array.isArray(f.json.grid) ? f.json.grid : [f.json.grid];
  const sets = (k: string) =>
    (isJsonObject(pretrain) && pretrain[k] !== undefined) ||
    grids.some((g) => isJsonObject(g) && `pretrain.${k}` in g);
  if (sets("lr") && sets("blr"))
    f.problem("pretrain.lr", "and 'pretrain.blr' cannot both be set (blr sets lr = blr x batchTiles / 256)");
}

/** The curve plotted from the results; with no grid to take axes from, only the types are checked. */
function checkCurve(f: Fields, grids: JsonObject[]): void {
  const c = f.object("curve", true);
  if (!c) return;
  c.only(["x", "xLabel", "ignore", "logX"]);
  const axes = [...new Set(grids.flatMap((g) => Object.keys(g)))];
  const isAxis = (a: unknown) => typeof a === "string" && (grids.length === 0 || axes.includes(a));
  if (!isAxis(c.json.x))
    c.problem("x", `must be one of the grid's axes (${axes.join(", ")}), got ${JSON.stringify(c.json.x)}`);
  if (typeof c.json.xLabel !== "string")
    c.problem("xLabel", `must be a string, got ${JSON.stringify(c.json.xLabel)}`);
  const ignore = c.json.ignore;
  if (ignore != null && !(Array.isArray(ignore) && ignore.every(isAxis)))
    c.problem(
      "ignore",
      `must be a list of the grid's axes (${axes.join(", ")}), got ${JSON.stringify(ignore)}`,
    );
  c.bool("logX", false);
}

/**
 * Checks a parsed spec; relative data directories are taken from the spec file's folder. A bad
 * spec gets one SpecError naming the file and every bad field.
 */
export function validateSpec(raw: unknown, file: string): SweepSpec {
  if (!isJsonObject(raw)) throw new SpecError(`${file}: a sweep spec must be a JSON object`);
  const f = new Fields(raw);
  f.only(SPEC_KEYS);
  for (const k of ["title", "description"])
    if (raw[k] != null && typeof raw[k] !== "string")
      f.problem(k, `must be a string, got ${JSON.stringify(raw[k])}`);
  const pretrainOnly = f.bool("pretrainOnly", false) === true;
  const data = checkData(f, file, pretrainOnly);
  checkOptions(f.object("pretrain", true), "pretrain");
  if (pretrainOnly)
    for (const k of ["finetune", "recipes"])
      if (raw[k] != null) f.problem(k, "cannot be set: a pretrainOnly sweep fine-tunes nothing");
  checkOptions(f.object("finetune", true), "finetune");
  const recipes = checkRecipes(f);
  checkBudget(f);
  checkLrBlr(f);
  checkCurve(f, checkGrids(f, pretrainOnly, recipes));
  try {
    f.fail(file, "sweep spec");
  } catch (e) {
    throw new SpecError((e as Error).message);
  }
  return {
    ...(raw as unknown as SweepSpec),
    data,
    recipes: raw.recipes as Record<string, Recipe> | undefined,
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
