// CSV annotations, one object per line, with a header naming the columns: points
// (image, x, y, label) or boxes (image, xmin, ymin, xmax, ymax, label), in pixels of the image
// (x to the right, y down, pixel centres at .5). "class" or "name" may stand for "label",
// "filename" or "file" for "image".
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { type AnnotationSet, addImage, num } from "./types.js";

const ALIASES: Record<string, string> = { class: "label", name: "label", filename: "image", file: "image" };

export function readCsv(file: string): AnnotationSet {
  const lines = readFileSync(file, "utf8").split(/\r?\n/);
  const head = lines[0].split(",").map((s) => {
    const h = s.trim().toLowerCase().replace(/^"|"$/g, "");
    return ALIASES[h] ?? h;
  });
  const at = (name: string) => head.indexOf(name);
  const boxes = ["xmin", "ymin", "xmax", "ymax"].every((c) => at(c) >= 0);
  const points = at("x") >= 0 && at("y") >= 0;
  if (at("image") < 0 || at("label") < 0 || !(boxes || points))
    throw new Error(
      `${file}: the header (${lines[0]}) must name image, label and either x, y (points) or xmin, ymin, xmax, ymax (boxes)`,
    );
  const images: AnnotationSet["images"] = new Map();
  for (let n = 1; n < lines.length; n++) {
    if (lines[n].trim() === "") continue;
    const f = lines[n].split(",").map((s) => s.trim().replace(/^"|"$/g, ""));
    const where = `${file}: line ${n + 1}`;
    const image = basename(f[at("image")] ?? "");
    const cls = f[at("label")] ?? "";
    if (!image || !cls) throw new Error(`${where}: no image or label`);
    const v = (c: string) => num(f[at(c)], where, c);
    const shape = boxes
      ? { kind: "box" as const, cls, x0: v("xmin"), y0: v("ymin"), x1: v("xmax"), y1: v("ymax") }
      : { kind: "point" as const, cls, x: v("x"), y: v("y") };
    if (shape.kind === "box" && !(shape.x0 < shape.x1 && shape.y0 < shape.y1))
      throw new Error(
        `${where}: box (${shape.x0}, ${shape.y0})-(${shape.x1}, ${shape.y1}) is empty or swapped`,
      );
    addImage(images, { image, source: file, shapes: [shape] });
  }
  if (images.size === 0) throw new Error(`${file}: no annotations after the header`);
  return { format: "csv", images };
}
