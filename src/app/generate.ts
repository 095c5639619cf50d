// `hemoseg app --out DIR`: writes the browser app for a segmentation run into a folder that works
// offline: the page, its compiled TypeScript, the run's model as ONNX with an app.json of its
// classes, colours, statistics and tile size, onnxruntime-web's WASM files and the PNG/TIFF
// decoders, all copied from node_modules (no CDN).
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { exportRunToFile } from "../export/onnx/index.js";
import { writeFileAtomic } from "../io/atomic.js";
import { readJsonObject } from "../io/json.js";
import { defaultPick } from "../synth/colour.js";
import { readRunInfo } from "../train/run-info.js";
import { classPalette } from "../viz/colours.js";
import { APP_CSS, indexHtml } from "./page.js";
import type { AppConfig } from "./web/config.js";

/** Writes the run's best (or last) checkpoint as ONNX to `file`. */
export type ExportModel = (run: string, which: "best" | "last", file: string) => void;

export interface AppOptions {
  run: string;
  out: string;
  which?: "best" | "last";
  /** Fraction of a tile neighbouring windows share (default 0.5, as hemoseg predict). */
  overlap?: number;
  /** Windows per inference call in the browser (default 4). */
  batch?: number;
  /** Default: hemoseg's ONNX export of the run (src/export/onnx). */
  exportModel?: ExportModel;
}

const exportOnnx: ExportModel = (run, which, file) => {
  exportRunToFile({ run, which, onnx: file });
};

/** onnxruntime-web files the page loads: the WASM build and the WebGPU one (used when the browser has an adapter). */
export const ORT_FILES = [
  "ort.wasm.min.mjs",
  "ort-wasm-simd-threaded.mjs",
  "ort-wasm-simd-threaded.wasm",
  "ort.webgpu.min.mjs",
  "ort-wasm-simd-threaded.asyncify.mjs",
  "ort-wasm-simd-threaded.asyncify.wasm",
];

const require = createRequire(import.meta.url);

/** The folder of an installed package (resolved from `from`), found from its main file upwards. */
function packageDir(name: string, from = require): string {
  let dir = dirname(from.resolve(name));
  while (
    !existsSync(join(dir, "package.json")) ||
    JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name !== name
  ) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the folder of the npm package ${name}`);
    dir = up;
  }
  return dir;
}

function copyInto(dir: string, files: [string, string][]): void {
  for (const [from, name] of files) {
    if (!existsSync(from))
      throw new Error(`${from}: missing; reinstall the npm packages (npm ci) or rebuild`);
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    copyFileSync(from, join(dir, name));
  }
}

/**
 * The compiled browser code, laid out as in dist/src so its relative imports hold: every module of
 * app/web/, and the plain-TypeScript modules of hemoseg it shares with the command line.
 */
export const SHARED_MODULES = ["eval/sliding-window.js"];

function webFiles(): [string, string][] {
  const src = dirname(dirname(fileURLToPath(import.meta.url))); // dist/src
  const web = readdirSync(join(src, "app", "web"))
    .filter((f) => f.endsWith(".js"))
    .map((f) => join("app", "web", f));
  return [...web, ...SHARED_MODULES].map((f) => [join(src, f), f]);
}

function vendorFiles(): [string, string][] {
  const utif = packageDir("utif");
  const upng = packageDir("upng-js");
  const pako = packageDir("pako", createRequire(join(upng, "package.json")));
  return [
    [join(pako, "dist", "pako_inflate.min.js"), "pako_inflate.min.js"],
    [join(upng, "UPNG.js"), "UPNG.js"],
    [join(utif, "UTIF.js"), "UTIF.js"],
    [join(upng, "LICENSE"), "LICENSE.upng-js.txt"],
    [join(utif, "LICENSE"), "LICENSE.utif.txt"],
    [join(pako, "LICENSE"), "LICENSE.pako.txt"],
  ];
}

function ortFiles(): [string, string][] {
  const dist = join(packageDir("onnxruntime-web"), "dist");
  return ORT_FILES.map((f) => [join(dist, f), f]);
}

/** The app.json of a run. */
export function appConfig(o: AppOptions): AppConfig {
  const info = readRunInfo(o.run);
  const overlap = o.overlap ?? 0.5;
  const batch = o.batch ?? 4;
  if (!(overlap >= 0 && overlap < 1)) throw new Error(`overlap must be in [0, 1), got ${overlap}`);
  if (!(Number.isInteger(batch) && batch > 0))
    throw new Error(`batch must be a positive integer, got ${batch}`);
  const { classes, stats, tile, channels } = info; // checked by readRunInfo
  const cfgPath = join(o.run, o.which ?? "best", "config.json");
  const architecture = existsSync(cfgPath)
    ? String(readJsonObject(cfgPath).architecture ?? "segmenter")
    : "segmenter";
  const palette = classPalette(classes.length);
  return {
    version: 1,
    run: basename(resolve(o.run)),
    architecture,
    model: "model.onnx",
    classes: classes.map((name, index) => ({
      index,
      name,
      colour: [...palette[index]] as [number, number, number],
    })),
    channels,
    tile,
    overlap,
    batch,
    mean: stats.mean,
    std: stats.std,
    rgb: defaultPick(channels),
  };
}

/**
 * Writes the app into o.out: built in a hidden sibling folder and renamed into place, so a failed
 * export leaves the previous app (or nothing) behind. Returns app.json's contents.
 */
export function writeApp(o: AppOptions): AppConfig {
  const cfg = appConfig(o);
  const out = resolve(o.out);
  if (existsSync(out) && !existsSync(join(out, "app.json")) && readdirSync(out).length > 0)
    throw new Error(`${o.out}: exists and is not a hemoseg app folder; choose an empty or new folder`);
  const tmp = join(dirname(out), `.${basename(out)}.partial`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    (o.exportModel ?? exportOnnx)(o.run, o.which ?? "best", join(tmp, cfg.model));
    writeFileAtomic(join(tmp, "index.html"), indexHtml(`${cfg.architecture} · ${cfg.run}`));
    writeFileAtomic(join(tmp, "app.css"), APP_CSS);
    writeFileAtomic(join(tmp, "app.json"), `${JSON.stringify(cfg, null, 1)}\n`);
    copyInto(join(tmp, "js"), webFiles());
    copyInto(join(tmp, "vendor"), vendorFiles());
    copyInto(join(tmp, "ort"), ortFiles());
    rmSync(out, { recursive: true, force: true });
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return cfg;
}
