// `hemoseg import --annotations`: images with object annotations (Pascal VOC XML, YOLO txt +
// data.yaml, COCO JSON, CSV boxes or points) into a segmentation set with sparse labels drawn by
// box-rules.ts. Class names are mapped by option (RBC:red blood cell); every image must have its
// annotations and every annotated image must be there; all or nothing, like every import.
import { basename } from "node:path";
import { readImageStack } from "../io/image-file.js";
import type { Tensor } from "../torch/index.js";
import {
  type AnnotationFormat,
  type AnnotationSet,
  detectFormat,
  type ImageAnnotations,
  readAnnotations,
} from "./annotations/index.js";
import { type BoxRule, type PixelShape, shapeLabels } from "./box-rules.js";
import { type DatasetMeta, writeDataset } from "./dataset.js";
import { listImageFiles } from "./import.js";
import { mixSeed } from "./random.js";

/** Annotation class names map to this to be dropped (no label; they still keep dots away). */
export const DROP_CLASS = "-";

export interface AnnotatedImportOptions {
  images: string;
  annotations: string;
  format?: AnnotationFormat;
  out: string;
  /** The dataset's classes (label = index); default background + the (mapped) names found. */
  classes?: string[];
  /** Annotation class name -> dataset class name ("-" drops it). */
  classMap?: Map<string, string>;
  rule?: BoxRule;
  pointRadius?: number;
  seed?: number;
  overwrite?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** Parses "RBC:red blood cell,WBC:white blood cell,Platelets:-". */
export function parseClassMap(spec: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of spec.split(",")) {
    const i = part.indexOf(":");
    const from = part.slice(0, i).trim();
    const to = part.slice(i + 1).trim();
    if (i < 0 || !from || !to)
      throw new Error(
        `--class-map: "${part.trim()}" is not FROM:TO (e.g. --class-map "RBC:red blood cell,WBC:white blood cell")`,
      );
    if (map.has(from)) throw new Error(`--class-map: "${from}" is mapped twice`);
    map.set(from, to);
  }
  return map;
}

/** The dataset's classes and each annotation class's label (-1: dropped). */
export function resolveClasses(
  set: AnnotationSet,
  classMap: Map<string, string> | undefined,
  classes: string[] | undefined,
): { classes: string[]; labelOf: Map<string, number> } {
  const found = new Set<string>();
  for (const a of set.images.values()) for (const s of a.shapes) found.add(s.cls);
  const order = [...(set.classNames ?? []), ...[...found].sort()].filter((n, i, all) => all.indexOf(n) === i);
  for (const k of classMap?.keys() ?? [])
    if (!found.has(k) && !set.classNames?.includes(k))
      throw new Error(
        `--class-map: no annotation has class "${k}" (classes found: ${[...found].sort().join(", ")})`,
      );
  const mapped = (n: string) => classMap?.get(n) ?? n;
  const names =
    classes ??
    ["background", ...order.map(mapped)].filter((n, i, all) => n !== DROP_CLASS && all.indexOf(n) === i);
  const labelOf = new Map<string, number>();
  for (const n of found) {
    const m = mapped(n);
    const label = m === DROP_CLASS ? -1 : names.indexOf(m);
    if (label < 0 && m !== DROP_CLASS)
      throw new Error(
        `annotation class "${n}"${m !== n ? ` (mapped to "${m}")` : ""} is not among the classes (${names.join(", ")}); ` +
          `map it with --class-map "${n}:NAME" or drop it with --class-map "${n}:-"`,
      );
    labelOf.set(n, label);
  }
  return { classes: names, labelOf };
}

/** An image's shapes in pixels with their labels, checked against the image's size. */
export function pixelShapes(
  a: ImageAnnotations,
  labelOf: Map<string, number>,
  width: number,
  height: number,
): PixelShape[] {
  if ((a.width !== undefined && a.width !== width) || (a.height !== undefined && a.height !== height))
    throw new Error(
      `${a.source}: says ${a.image} is ${a.width} x ${a.height}, but the image is ${width} x ${height}`,
    );
  const sx = a.normalised ? width : 1;
  const sy = a.normalised ? height : 1;
  const tol = 1.01;
  const check = (x: number, y: number) => {
    if (x < -tol || y < -tol || x > width + tol || y > height + tol)
      throw new Error(
        `${a.source}: ${a.image}: point (${x}, ${y}) lies outside the ${width} x ${height} image`,
      );
  };
  return a.shapes.map((s): PixelShape => {
    const label = labelOf.get(s.cls) ?? -1;
    if (s.kind === "point") {
      check(s.x * sx, s.y * sy);
      return { kind: "point", label, x: s.x * sx, y: s.y * sy };
    }
    if (s.kind === "polygon") {
      const points = s.points.map((v, i) => v * (i % 2 ? sy : sx));
      for (let i = 0; i < points.length; i += 2) check(points[i], points[i + 1]);
      return { kind: "polygon", label, points };
    }
    const [x0, y0, x1, y1] = [s.x0 * sx, s.y0 * sy, s.x1 * sx, s.y1 * sy];
    check(x0, y0);
    check(x1, y1);
    const truncated = s.kind === "box" ? s.truncated : undefined;
    return { kind: "box", label: s.kind === "blocked" ? -1 : label, x0, y0, x1, y1, truncated };
  });
}

/** An image as float32 (C, H, W). */
function readFloat(file: string): Tensor {
  const img = readImageStack(file);
  try {
    return img.to("float32");
  } finally {
    img.dispose();
  }
}

export function importAnnotated(opts: AnnotatedImportOptions): DatasetMeta {
  const files = listImageFiles(opts.images);
  const names = files.map((f) => basename(f));
  const format = opts.format ?? detectFormat(opts.annotations);
  const set = readAnnotations(opts.annotations, format, names);
  const { classes, labelOf } = resolveClasses(set, opts.classMap, opts.classes);
  const background = classes.indexOf("background");
  const byName = new Map(files.map((f) => [basename(f), f]));
  for (const [name, a] of set.images)
    if (!byName.has(name)) throw new Error(`${a.source}: annotates ${name}, which is not in ${opts.images}`);
  files.forEach((f) => {
    if (!set.images.has(basename(f)))
      throw new Error(
        `${f}: has no annotations in ${opts.annotations} (every image needs them; an image without objects needs an empty annotation)`,
      );
  });
  const seed = opts.seed ?? 0;
  const first = readFloat(files[0]);
  const [C, H, W] = first.shape;
  first.dispose();
  const rule = opts.rule ?? "centre-disc";
  return writeDataset(
    opts.out,
    {
      kind: "segmentation",
      count: files.length,
      channels: C,
      height: H,
      width: W,
      classes,
      masks: true,
      seed,
      source: `imported from ${opts.images} with ${format.toUpperCase()} annotations ${opts.annotations}; sparse labels by the ${rule} rule`,
    },
    (w) => {
      files.forEach((file, i) => {
        const image = readFloat(file);
        try {
          const [c, h, wd] = image.shape;
          if (c !== C) throw new Error(`${file}: has ${c} channels, but ${files[0]} has ${C}`);
          if (h !== H || wd !== W)
            throw new Error(`${file}: is ${wd} x ${h}, but ${files[0]} is ${W} x ${H}`);
          const shapes = pixelShapes(set.images.get(basename(file))!, labelOf, W, H);
          const mask = shapeLabels(shapes, H, W, mixSeed(seed, i), {
            rule,
            background: background >= 0 ? background : undefined,
            pointRadius: opts.pointRadius,
          });
          w.append({ image, mask });
        } catch (e) {
          const msg = (e as Error).message;
          throw new Error(msg.includes(file) || msg.includes(opts.annotations) ? msg : `${file}: ${msg}`);
        } finally {
          image.dispose();
        }
        opts.onProgress?.(i + 1, files.length);
      });
    },
    opts.overwrite,
  );
}
