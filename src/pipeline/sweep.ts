// Experiment grids (the seed paper's Tables 4-6 and §5.1): a sweep spec names the data, base
// pre-training and fine-tuning options, a grid of axes and a per-run budget; every point of the
// grid's cartesian product is pre-trained (shared between points with equal pre-training options),
// fine-tuned and evaluated on the test split, each into its own run directory so a sweep resumes
// where it stopped and finished points are read back, never retrained.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { type SynthDatasetsOptions, synthDatasets } from "../data/synth-datasets.js";
import { writeFileAtomic } from "../io/atomic.js";
import { isPresetName } from "../models/presets.js";
import { FINETUNE_DEFAULTS, type FinetuneOptions, finetune } from "../train/finetune.js";
import { PRETRAIN_DEFAULTS, type PretrainOptions, pretrain } from "../train/pretrain.js";
import { evaluateRun, type RunEvaluation } from "./evaluate-run.js";

// ---- the spec ----------------------------------------------------------------------------------

/** Pre-training options a spec may set (data, out, device and resume belong to the sweep). */
export type PretrainSettings = Omit<PretrainOptions, "data" | "out" | "device" | "resume">;
/** Fine-tuning options a spec may set; the encoder is the point's own pre-training. */
export type FinetuneSettings = Omit<
  FinetuneOptions,
  "data" | "out" | "encoder" | "device" | "resume" | "quiet"
>;

/** A named set of fine-tuning overrides, the values of the "recipe" axis. */
export type Recipe = Partial<FinetuneSettings> & {
  /** Start the UNETR from the point's pre-trained encoder (default: unless arch is unet). */
  pretrained?: boolean;
};

/** Epochs and steps per epoch of each stage (maxSteps 0: the whole split); scale multiplies every epoch count. */
export interface Budget {
  pretrain?: { epochs?: number; maxSteps?: number };
  finetune?: { epochs?: number; maxSteps?: number };
  scale?: number;
}

export type SweepData =
  | { synth: Omit<SynthDatasetsOptions, "out" | "overwrite"> }
  | { pretrain?: string; segmentation?: string };

export interface SweepSpec {
  title?: string;
  description?: string;
  data: SweepData;
  pretrain?: Partial<PretrainSettings>;
  finetune?: Partial<FinetuneSettings>;
  /** Recipes beyond (or replacing) BUILTIN_RECIPES. */
  recipes?: Record<string, Recipe>;
  /** Pre-train only (the paper's §5.1 grids): no fine-tuning, rows report MAE losses. */
  pretrainOnly?: boolean;
  budget?: Budget;
  /** Axes: "pretrain.<option>", "finetune.<option>", "seed" (both stages) or "recipe", each a list of values. */
  grid: Record<string, unknown[]>;
}

/** The fine-tuning recipes compared by bench/recipes.ts. */
export const BUILTIN_RECIPES: Record<string, Recipe> = {
  paper: {},
  scratch: { pretrained: false },
  "enc-lr-1e-4": { encoderLr: 1e-4, warmupEpochs: 1 },
  "lrd-0.75": { encoderLr: 1e-4, warmupEpochs: 1, layerDecay: 0.75 },
  "frozen-3": { frozenEpochs: 3, encoderLr: 1e-4 },
  unet: { arch: "unet", pretrained: false },
};

/** Axis keys that vary the random seed: the aggregated table averages over them. */
const SEED_AXES = new Set(["seed", "pretrain.seed", "finetune.seed"]);
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
]);

const strip = <T extends object>(o: T, keys: string[]) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
const PRETRAIN_BASE = strip(PRETRAIN_DEFAULTS, ["device", "resume"]) as PretrainSettings;
const FINETUNE_BASE = {
  ...strip(FINETUNE_DEFAULTS, ["device", "resume"]),
  arch: "unetr",
} as FinetuneSettings;
const PRETRAIN_KEYS = Object.keys(PRETRAIN_BASE);
/** encoderLr is optional (absent from the defaults: the head's lr applies). */
const FINETUNE_KEYS = [...Object.keys(FINETUNE_BASE), "encoderLr"];

/** A spec problem: names the spec file and the offending key. */
export class SpecError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

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
  const want = key === "encoderLr" ? 0 : dflt[key];
  if (key === "model") {
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
  const recipes = { ...BUILTIN_RECIPES };
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

  if (!isObject(s.grid)) fail(`grid must be an object of axes, e.g. { "finetune.featureSize": [32, 64] }`);
  if ("seed" in s.grid && ("pretrain.seed" in s.grid || "finetune.seed" in s.grid))
    fail(`grid: "seed" sets both stages' seeds; drop it or the per-stage seed axis`);
  for (const [key, values] of Object.entries(s.grid)) {
    const at = `grid["${key}"]`;
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
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new SpecError(`${file}: ${(e as Error).message}`);
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

// ---- expansion ---------------------------------------------------------------------------------

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

const hash8 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 8);

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
function dataId(plan: Pick<SweepPlan, "data">, which: "pretrain" | "segmentation"): string {
  if (plan.data.synth) return hash8(stableJson({ synth: plan.data.synth, which }));
  const dir = plan.data[which];
  return dir ? hash8(readFileSync(join(dir, "dataset.json"), "utf8")) : "none";
}

const valueText = (v: unknown) =>
  (Array.isArray(v) ? v.join(",") : String(v)).replace(/[^A-Za-z0-9.,+-]/g, "-");

/** Expands the grid into points (first axis slowest), with their options and run directories. */
export function planSweep(spec: SweepSpec, o: { out: string; seed?: number; name?: string }): SweepPlan {
  const out = resolve(o.out);
  const recipes = { ...BUILTIN_RECIPES, ...spec.recipes };
  const keys = Object.keys(spec.grid);
  const short = keys.map((k) => k.split(".").pop()!);
  const axes = keys.map((key, i) => ({
    key,
    label: short.filter((s) => s === short[i]).length > 1 ? key : short[i],
    values: spec.grid[key],
  }));
  const data: SweepPlan["data"] =
    "synth" in spec.data
      ? {
          synth: spec.data.synth,
          pretrain: join(out, "data", "pretrain"),
          segmentation: join(out, "data", "segmentation"),
        }
      : { ...spec.data };
  const plan: SweepPlan = { spec, title: spec.title ?? o.name ?? "sweep", out, axes, data, points: [] };
  let combos: Record<string, unknown>[] = [{}];
  for (const a of axes) combos = combos.flatMap((c) => a.values.map((v) => ({ ...c, [a.key]: v })));

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
    // "featureSize-64", but "paper" and "model1" where the value names itself.
    const part = (a: (typeof axes)[number]) => {
      const v = valueText(values[a.key]);
      return a.key === "recipe" || v.startsWith(a.label) ? v : `${a.label}-${v}`;
    };
    const name = axes.map(part).join("_") || "base";
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

/** "budget: pre-training 4 epochs x 8 steps, fine-tuning 2 epochs (grid values and recipes may differ)". */
export function budgetText(b: Budget | undefined, pretrainOnly: boolean): string {
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? "" : "s"}`;
  const stage = (name: string, s: { epochs?: number; maxSteps?: number } | undefined, dflt: number) =>
    `${name} ${n(Math.max(1, Math.round((s?.epochs ?? dflt) * (b?.scale ?? 1))), "epoch")}${s?.maxSteps ? ` x ${n(s.maxSteps, "step")}` : ""}`;
  const parts = [stage("pre-training", b?.pretrain, PRETRAIN_DEFAULTS.epochs)];
  if (!pretrainOnly) parts.push(stage("fine-tuning", b?.finetune, FINETUNE_DEFAULTS.epochs));
  return `budget: ${parts.join(", ")} (unless an axis or recipe sets them)`;
}

// ---- run bookkeeping ---------------------------------------------------------------------------

export type StageStatus = "done" | "trained" | "partial" | "missing" | "conflict";

/** What a point's fine-tuning dir must hold to be this point's run (written before training). */
function pointRecord(plan: SweepPlan, p: SweepPoint) {
  return {
    name: p.name,
    values: p.values,
    finetune: p.finetune,
    encoder: p.pretrainDir ? basename(p.pretrainDir) : null,
    data: dataId(plan, "segmentation"),
  };
}

export function pretrainStatus(dir: string): StageStatus {
  if (existsSync(join(dir, "test.json"))) return "done";
  return existsSync(dir) ? "partial" : "missing";
}

/** done: evaluated; trained: awaiting evaluation; partial: interrupted; conflict: the dir holds another run. */
export function finetuneStatus(plan: SweepPlan, p: SweepPoint): { status: StageStatus; why?: string } {
  if (!existsSync(p.runDir)) return { status: "missing" };
  const recPath = join(p.runDir, "point.json");
  if (!existsSync(recPath))
    return { status: "conflict", why: `${p.runDir} exists but was not made by a sweep (no point.json)` };
  const have = readJson(recPath) as Record<string, unknown>;
  const want = pointRecord(plan, p) as Record<string, unknown>;
  if (stableJson(have) !== stableJson(want)) {
    const diff = (a: unknown, b: unknown, at: string): string[] =>
      isObject(a) && isObject(b)
        ? [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k) =>
            diff(a[k], b[k], at ? `${at}.${k}` : k),
          )
        : stableJson(a) === stableJson(b)
          ? []
          : [`${at} ${stableJson(a)} (wanted ${stableJson(b)})`];
    return {
      status: "conflict",
      why: `${p.runDir} holds a run with other settings: ${diff(have, want, "").join("; ")}`,
    };
  }
  if (
    existsSync(join(p.runDir, "eval-test", "evaluation.json")) &&
    existsSync(join(p.runDir, "finetune.json"))
  )
    return { status: "done" };
  return { status: existsSync(join(p.runDir, "finetune.json")) ? "trained" : "partial" };
}

/** The status of both stages of every point. */
export function planStatus(
  plan: SweepPlan,
): { point: SweepPoint; pretrain: StageStatus | null; finetune: StageStatus | null; why?: string }[] {
  return plan.points.map((p) => {
    const f = p.finetune ? finetuneStatus(plan, p) : null;
    return {
      point: p,
      pretrain: p.pretrainDir ? pretrainStatus(p.pretrainDir) : null,
      finetune: f?.status ?? null,
      why: f?.why,
    };
  });
}

/** One line per point: name, run dir and pre-training dir with their statuses (for --dry-run). */
export function formatPlan(plan: SweepPlan): string {
  const rel = (d: string) => relative(process.cwd(), d) || ".";
  const st = planStatus(plan);
  const pre = new Set(plan.points.flatMap((p) => (p.pretrainDir ? [p.pretrainDir] : []))).size;
  const width = Math.max(...plan.points.map((p) => p.name.length));
  const lines = st.map(({ point: p, pretrain, finetune, why }) => {
    const parts = [p.name.padEnd(width)];
    if (p.finetune) parts.push(`${rel(p.runDir)} [${finetune}${why ? `: ${why}` : ""}]`);
    parts.push(p.pretrainDir ? `pretrain ${rel(p.pretrainDir)} [${pretrain}]` : "no pre-training");
    return parts.join("  ");
  });
  return `${plan.title}: ${plan.points.length} points, ${pre} pre-training run${pre === 1 ? "" : "s"}; ${budgetText(plan.spec.budget, !!plan.spec.pretrainOnly)}\n${lines.join("\n")}\n`;
}

// ---- running -----------------------------------------------------------------------------------

export interface RunSweepOptions {
  device: "cpu" | "cuda";
  /** Continue interrupted runs from their last checkpoint instead of restarting them. */
  resume: boolean;
  /** Leave interrupted runs as they are (rows marked incomplete); train only points never started. */
  onlyMissing: boolean;
  log?: (msg: string) => void;
}

export interface SweepOutcome {
  rows: SweepRow[];
  aggregated: SweepRow[] | null;
  markdown: string;
  /** Work done in this call (0 everywhere on a finished sweep). */
  trained: { pretrain: number; finetune: number; evaluate: number };
  failed: number;
}

export type SweepRow = Record<string, string | number | null>;

function readJson(path: string) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/** Creates the synthetic data once (recorded in data/synth.json); other data must already exist. */
function ensureData(plan: SweepPlan, log: (m: string) => void): void {
  const synth = plan.data.synth;
  if (!synth) return;
  const dir = join(plan.out, "data");
  const rec = join(dir, "synth.json");
  if (existsSync(rec)) {
    if (stableJson(readJson(rec)) === stableJson(synth)) return;
    throw new Error(
      `${rec}: this folder's synthetic data was made with ${stableJson(readJson(rec))}, not ${stableJson(synth)}; use another --out`,
    );
  }
  log(`synthetic data: ${stableJson(synth)}`);
  synthDatasets({ ...synth, out: dir, overwrite: true });
  writeFileAtomic(rec, `${stableJson(synth)}\n`);
}

export async function runSweep(plan: SweepPlan, o: RunSweepOptions): Promise<SweepOutcome> {
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const status = planStatus(plan);
  const conflicts = status.filter((s) => s.finetune === "conflict");
  if (conflicts.length)
    throw new Error(
      `sweep ${plan.out}: ${conflicts.map((c) => c.why).join("\n")}\n(delete those dirs or use another --out)`,
    );
  mkdirSync(plan.out, { recursive: true });
  writeFileAtomic(
    join(plan.out, "sweep.json"),
    `${JSON.stringify({ title: plan.title, spec: plan.spec, points: plan.points.map((p) => ({ name: p.name, values: p.values, runDir: relative(plan.out, p.runDir), pretrainDir: p.pretrainDir && relative(plan.out, p.pretrainDir) })) }, null, 1)}\n`,
  );
  ensureData(plan, log);
  const trained = { pretrain: 0, finetune: 0, evaluate: 0 };
  const rows = plan.points.map((p) => readRow(plan, p));
  const pretrainFailures = new Map<string, string>();
  let failed = 0;
  const save = () => writeResults(plan, rows);

  const prepare = (dir: string, st: StageStatus, what: string): boolean => {
    if (st !== "partial") return false;
    if (o.resume) {
      log(`${what}: resuming the interrupted run in ${dir}`);
      return true;
    }
    log(`${what}: restarting the interrupted run in ${dir} (--resume continues it instead)`);
    rmSync(dir, { recursive: true, force: true });
    return false;
  };

  const ensurePretrain = async (p: SweepPoint, label: string) => {
    const dir = p.pretrainDir!;
    const failure = pretrainFailures.get(dir);
    if (failure) throw new Error(`its pre-training failed: ${failure}`);
    const st = pretrainStatus(dir);
    if (st === "done") return;
    const resume = prepare(dir, st, `${label} pre-training`);
    log(`${label}: pre-training ${relative(plan.out, dir)}`);
    const t0 = performance.now();
    try {
      await pretrain({ ...p.pretrain!, data: plan.data.pretrain!, out: dir, device: o.device, resume });
    } catch (e) {
      pretrainFailures.set(dir, (e as Error).message);
      throw e;
    }
    writeFileAtomic(
      join(dir, "timing.json"),
      `${JSON.stringify({ seconds: (performance.now() - t0) / 1000 })}\n`,
    );
    trained.pretrain++;
  };

  for (const [i, { point: p, finetune: fst }] of status.entries()) {
    const label = `[${i + 1}/${plan.points.length}] ${p.name}`;
    if (rows[i].status === "done") continue;
    const partial =
      fst === "partial" || (p.pretrainDir !== null && pretrainStatus(p.pretrainDir) === "partial");
    if (o.onlyMissing && partial) {
      log(`${label}: interrupted run left as it is (--only-missing)`);
      rows[i].status = "incomplete";
      continue;
    }
    try {
      if (p.pretrainDir) await ensurePretrain(p, label);
      if (p.finetune) {
        const st = finetuneStatus(plan, p).status;
        if (st !== "trained") {
          const resume = prepare(p.runDir, st, `${label} fine-tuning`);
          mkdirSync(p.runDir, { recursive: true });
          writeFileAtomic(join(p.runDir, "point.json"), `${JSON.stringify(pointRecord(plan, p), null, 1)}\n`);
          log(
            `${label}: fine-tuning ${p.finetune.arch}${p.pretrainDir ? " from the pre-trained encoder" : " from scratch"}`,
          );
          const t0 = performance.now();
          const r = await finetune({
            ...p.finetune,
            data: plan.data.segmentation!,
            out: p.runDir,
            encoder: p.pretrainDir ? join(p.pretrainDir, "best") : undefined,
            device: o.device,
            resume,
            quiet: true,
          });
          const seconds = (performance.now() - t0) / 1000;
          writeFileAtomic(
            join(p.runDir, "finetune.json"),
            `${JSON.stringify({ bestEpoch: r.bestEpoch, bestValLoss: r.bestValLoss, seconds })}\n`,
          );
          trained.finetune++;
        }
        log(`${label}: evaluating on the test split`);
        await evaluateRun(p.runDir, { split: "test", device: o.device });
        trained.evaluate++;
      }
      rows[i] = readRow(plan, p);
    } catch (e) {
      failed++;
      const msg = (e as Error).message.split("\n")[0];
      log(`${label}: FAILED: ${(e as Error).message}`);
      rows[i].status = `failed: ${msg}`;
    }
    save();
  }
  const { aggregated, markdown } = save();
  return { rows, aggregated, markdown, trained, failed };
}

// ---- results -----------------------------------------------------------------------------------

const f1Column = (cls: string) => `f1_${cls.replace(/\W+/g, "_")}`;

/** A point's row from what its run dirs hold (metrics null where missing). */
export function readRow(plan: SweepPlan, p: SweepPoint): SweepRow {
  const row: SweepRow = { point: p.name };
  for (const a of plan.axes) {
    const v = p.values[a.key];
    row[a.label] = Array.isArray(v) ? v.join(",") : typeof v === "number" ? v : String(v);
  }
  row.status = "pending";
  const pre =
    p.pretrainDir && pretrainStatus(p.pretrainDir) === "done"
      ? readJson(join(p.pretrainDir, "test.json"))
      : null;
  row.mae_val_loss = pre?.bestValLoss ?? null;
  row.mae_test_loss = pre?.testLoss ?? null;
  if (!p.finetune) {
    row.mae_best_epoch = pre?.bestEpoch ?? null;
    const timing = p.pretrainDir && join(p.pretrainDir, "timing.json");
    row.seconds = timing && existsSync(timing) ? readJson(timing).seconds : null;
    if (pre) row.status = "done";
  } else {
    Object.assign(row, {
      best_val_loss: null,
      test_accuracy: null,
      macro_f1: null,
      platelet_f1: null,
      full_macro_f1: null,
    });
    if (finetuneStatus(plan, p).status === "done") {
      const ft = readJson(join(p.runDir, "finetune.json"));
      const ev = readJson(join(p.runDir, "eval-test", "evaluation.json")) as RunEvaluation;
      const rep = ev.sparse.report;
      Object.assign(row, {
        best_val_loss: ft.bestValLoss,
        test_accuracy: rep.accuracy,
        macro_f1: rep.macro.f1,
        platelet_f1: rep.perClass.platelet?.f1 ?? null,
        full_macro_f1: ev.full?.report.macro.f1 ?? null,
      });
      for (const [cls, s] of Object.entries(rep.perClass)) row[f1Column(cls)] = s.f1;
      row.seconds = ft.seconds;
      row.status = "done";
    }
  }
  row.run = relative(plan.out, p.runDir);
  return row;
}

const HEADERS: Record<string, string> = {
  mae_val_loss: "MAE val loss",
  mae_test_loss: "MAE test loss",
  mae_best_epoch: "MAE best epoch",
  best_val_loss: "val loss",
  test_accuracy: "accuracy",
  macro_f1: "macro F1",
  platelet_f1: "platelet F1",
  full_macro_f1: "macro F1 (full masks)",
  seconds: "seconds",
};
const METRICS = [
  "mae_val_loss",
  "mae_test_loss",
  "best_val_loss",
  "test_accuracy",
  "macro_f1",
  "platelet_f1",
  "full_macro_f1",
];

/** Metrics to 3 decimals (losses to 4 significant digits); axis values as they are. */
function cell(v: unknown, col: string): string {
  if (v === null || v === undefined) return "";
  if (typeof v !== "number" || !(Object.hasOwn(HEADERS, col) || col.startsWith("f1_"))) return String(v);
  if (Number.isInteger(v)) return String(v);
  if (col === "seconds") return v.toFixed(0);
  return /loss/.test(col) ? v.toPrecision(4) : v.toFixed(3);
}

export function markdownTable(
  rows: SweepRow[],
  cols: string[],
  header = (c: string) => HEADERS[c] ?? c,
): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(cols.map(header)),
    line(cols.map(() => "---")),
    ...rows.map((r) => line(cols.map((c) => cell(r[c], c)))),
  ].join("\n");
}

export function toCsv(rows: SweepRow[]): string {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const q = (v: unknown) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `${[cols.join(","), ...rows.map((r) => cols.map((c) => q(r[c])).join(","))].join("\n")}\n`;
}

const meanSd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return { m, sd };
};

/** Mean ± sample std over the seed axes of every metric, one row per setting of the other axes; null without a seed axis. */
export function aggregateOverSeeds(plan: Pick<SweepPlan, "axes">, rows: SweepRow[]): SweepRow[] | null {
  const seedAxes = plan.axes.filter((a) => SEED_AXES.has(a.key));
  if (!seedAxes.length) return null;
  const keep = plan.axes.filter((a) => !SEED_AXES.has(a.key)).map((a) => a.label);
  const groups = new Map<string, SweepRow[]>();
  for (const r of rows) {
    const k = stableJson(keep.map((c) => r[c]));
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const done = g.filter((r) => r.status === "done");
    const out: SweepRow = Object.fromEntries(keep.map((c) => [c, g[0][c]]));
    out.seeds = `${done.length}/${g.length}`;
    for (const c of METRICS) {
      const xs = done.map((r) => r[c]).filter((v): v is number => typeof v === "number");
      if (!xs.length) continue;
      const { m, sd } = meanSd(xs);
      out[c] = `${cell(m, c)} ± ${cell(sd, c)}`;
    }
    return out;
  });
}

function mainColumns(plan: Pick<SweepPlan, "axes" | "spec">, rows: SweepRow[]): string[] {
  const cols = plan.axes.map((a) => a.label);
  if (rows.some((r) => r.status !== "done")) cols.push("status");
  const used = (c: string) => rows.some((r) => r[c] !== null && r[c] !== undefined);
  const metrics = plan.spec.pretrainOnly
    ? ["mae_val_loss", "mae_test_loss", "mae_best_epoch", "seconds"]
    : METRICS;
  return [...cols, ...metrics.filter(used)];
}

/** results.md: the main table, per-class F1 and (with a seed axis) the aggregated table. */
export function sweepMarkdown(
  plan: Pick<SweepPlan, "axes" | "spec" | "title">,
  rows: SweepRow[],
  aggregated: SweepRow[] | null,
): string {
  const parts = [`# ${plan.title}`, ""];
  if (plan.spec.description) parts.push(plan.spec.description, "");
  parts.push(markdownTable(rows, mainColumns(plan, rows)), "");
  const perClass = [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => k.startsWith("f1_"))))];
  if (perClass.length) {
    parts.push(
      "## Per-class F1 (test split, sparse labels)",
      "",
      markdownTable(rows, [...plan.axes.map((a) => a.label), ...perClass], (c) =>
        c.replace(/^f1_/, "").replace(/_/g, " "),
      ),
      "",
    );
  }
  if (aggregated) {
    const cols = [...new Set(aggregated.flatMap((r) => Object.keys(r)))];
    parts.push("## Mean ± std over seeds", "", markdownTable(aggregated, cols), "");
  }
  return parts.join("\n");
}

/** Writes results.csv, results.md and results.json (what sweepSections reads). */
export function writeResults(
  plan: SweepPlan,
  rows: SweepRow[],
): { aggregated: SweepRow[] | null; markdown: string } {
  const aggregated = aggregateOverSeeds(plan, rows);
  const markdown = sweepMarkdown(plan, rows, aggregated);
  writeFileAtomic(join(plan.out, "results.csv"), toCsv(rows));
  writeFileAtomic(join(plan.out, "results.md"), markdown);
  const info = {
    title: plan.title,
    description: plan.spec.description,
    pretrainOnly: !!plan.spec.pretrainOnly,
    axes: plan.axes.map(({ key, label }) => ({ key, label })),
    budget: plan.spec.budget,
    rows,
    aggregated,
  };
  writeFileAtomic(join(plan.out, "results.json"), `${JSON.stringify(info, null, 1)}\n`);
  return { aggregated, markdown };
}

/** A table for the HTML report (the shape of report-html's SweepSection). */
export interface SweepTable {
  title: string;
  caption?: string;
  markdownTable?: string;
  rows: Record<string, unknown>[];
}

/** The report's sweep section(s) of a finished or running sweep folder: the main table, and the mean ± std table with a seed axis. */
export function sweepSections(outDir: string): SweepTable[] {
  const path = join(outDir, "results.json");
  if (!existsSync(path)) throw new Error(`${outDir}: not a sweep folder (no results.json)`);
  const info = readJson(path) as {
    title: string;
    description?: string;
    pretrainOnly: boolean;
    axes: { key: string; label: string }[];
    budget?: Budget;
    rows: SweepRow[];
    aggregated: SweepRow[] | null;
  };
  const plan = {
    axes: info.axes.map((a) => ({ ...a, values: [] })),
    spec: { pretrainOnly: info.pretrainOnly } as SweepSpec,
    title: info.title,
  };
  const cols = mainColumns(plan, info.rows);
  const done = info.rows.filter((r) => r.status === "done").length;
  const caption = [
    info.description,
    `${done} of ${info.rows.length} points done; test split, sparse labels; ${budgetText(info.budget, info.pretrainOnly)}.`,
  ]
    .filter(Boolean)
    .join(" ");
  const pickCols = (r: SweepRow, cs: string[]) => Object.fromEntries(cs.map((c) => [HEADERS[c] ?? c, r[c]]));
  const sections: SweepTable[] = [
    {
      title: info.title,
      caption,
      markdownTable: markdownTable(info.rows, cols),
      rows: info.rows.map((r) => pickCols(r, cols)),
    },
  ];
  if (info.aggregated) {
    const acols = [...new Set(info.aggregated.flatMap((r) => Object.keys(r)))];
    sections.push({
      title: `${info.title}: mean ± std over seeds`,
      markdownTable: markdownTable(info.aggregated, acols),
      rows: info.aggregated.map((r) => pickCols(r, acols)),
    });
  }
  return sections;
}
