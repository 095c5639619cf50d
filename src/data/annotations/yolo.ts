// YOLO txt (Ultralytics, Roboflow exports; TXL-PBC): one .txt per image (same stem), a line per
// object: "class cx cy w h" normalised to the image, or "class x1 y1 x2 y2 ..." for a polygon
// (YOLO segmentation). Class names come from data.yaml ("names": a list or an id -> name map)
// found beside the labels folder or one or two levels up; without one the names are the ids.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { type AnnotationSet, addImage, type ImageAnnotations, num, type Shape } from "./types.js";

/** The class names of a data.yaml. */
export function readDataYaml(file: string): string[] {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  const names = (doc as Record<string, unknown> | null)?.names;
  if (Array.isArray(names)) return names.map(String);
  if (names && typeof names === "object") {
    const entries = Object.entries(names as Record<string, unknown>);
    const out: string[] = [];
    for (const [k, v] of entries) {
      const id = Number(k);
      if (!Number.isInteger(id) || id < 0) throw new Error(`${file}: names has key "${k}", not a class id`);
      out[id] = String(v);
    }
    for (let i = 0; i < out.length; i++)
      if (out[i] === undefined) throw new Error(`${file}: names lacks id ${i}`);
    return out;
  }
  throw new Error(`${file}: no "names" list of classes`);
}

/** data.yaml (or dataset.yaml) in the labels folder or up to two levels above it. */
export function findDataYaml(labels: string): string | undefined {
  let d = statSync(labels).isDirectory() ? labels : dirname(labels);
  for (let up = 0; up < 3; up++) {
    for (const n of ["data.yaml", "dataset.yaml", "data.yml"]) if (existsSync(join(d, n))) return join(d, n);
    d = dirname(d);
  }
  return undefined;
}

export function parseYolo(text: string, file: string, image: string, names?: string[]): ImageAnnotations {
  const shapes: Shape[] = [];
  text.split(/\r?\n/).forEach((line, n) => {
    if (line.trim() === "") return;
    const where = `${file}: line ${n + 1}`;
    const f = line.trim().split(/\s+/);
    const id = Number(f[0]);
    if (!Number.isInteger(id) || id < 0) throw new Error(`${where}: class "${f[0]}" is not a class id`);
    if (names && id >= names.length)
      throw new Error(`${where}: class id ${id}, but data.yaml names ${names.length} classes`);
    const cls = names ? names[id] : String(id);
    const v = f.slice(1).map((x, i) => num(x, where, `value ${i + 2}`));
    if (v.some((x) => x < -0.01 || x > 1.01))
      throw new Error(`${where}: coordinates must be normalised to 0..1, got ${f.slice(1).join(" ")}`);
    if (v.length === 4) {
      const [cx, cy, w, h] = v;
      if (!(w > 0 && h > 0)) throw new Error(`${where}: box of width ${w} and height ${h}`);
      shapes.push({ kind: "box", cls, x0: cx - w / 2, y0: cy - h / 2, x1: cx + w / 2, y1: cy + h / 2 });
    } else if (v.length >= 6 && v.length % 2 === 0) {
      shapes.push({ kind: "polygon", cls, points: v });
    } else {
      throw new Error(
        `${where}: ${v.length} numbers after the class: expected 4 (box) or an even number >= 6 (polygon)`,
      );
    }
  });
  return { image, source: file, shapes, normalised: true };
}

/** A folder of YOLO .txt files; images pair by stem, so `imageNames` lists the image files. */
export function readYolo(path: string, imageNames: string[]): AnnotationSet {
  const yaml = findDataYaml(path);
  const names = yaml ? readDataYaml(yaml) : undefined;
  const byStem = new Map(imageNames.map((n) => [n.replace(/\.[^.]+$/, ""), n]));
  const files = readdirSync(path).filter(
    (f) => f.endsWith(".txt") && !f.startsWith(".") && f !== "classes.txt",
  );
  const images = new Map<string, ImageAnnotations>();
  for (const f of files.sort()) {
    const image = byStem.get(f.slice(0, -4));
    if (!image) throw new Error(`${join(path, f)}: no image named ${f.slice(0, -4)}.* to go with it`);
    addImage(images, parseYolo(readFileSync(join(path, f), "utf8"), join(path, f), image, names));
  }
  return { format: "yolo", images, classNames: names };
}
