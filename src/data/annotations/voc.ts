// Pascal VOC XML (LabelImg, CVAT, Roboflow exports; BCCD): one .xml per image with <filename>,
// <size> and <object>s of <name> and <bndbox> xmin/ymin/xmax/ymax (1-based, inclusive pixels).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { type AnnotationSet, addImage, type ImageAnnotations, num, type Shape } from "./types.js";

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true });

export function parseVoc(xml: string, file: string): ImageAnnotations {
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml, true) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: not valid XML: ${(e as Error).message.split("\n")[0]}`);
  }
  const ann = doc.annotation as Record<string, unknown> | undefined;
  if (!ann || typeof ann !== "object")
    throw new Error(`${file}: no <annotation> element (not Pascal VOC XML)`);
  const image = typeof ann.filename === "string" && ann.filename ? basename(ann.filename) : undefined;
  if (!image) throw new Error(`${file}: <annotation> has no <filename>`);
  const size = ann.size as Record<string, unknown> | undefined;
  const objects = ann.object === undefined ? [] : Array.isArray(ann.object) ? ann.object : [ann.object];
  const shapes: Shape[] = objects.map((o: Record<string, unknown>, i: number) => {
    const where = `${file}: object ${i + 1}`;
    const cls = typeof o.name === "string" ? o.name.trim() : "";
    if (!cls) throw new Error(`${where}: no <name>`);
    const b = o.bndbox as Record<string, unknown> | undefined;
    if (!b) throw new Error(`${where} (${cls}): no <bndbox>`);
    const [xmin, ymin, xmax, ymax] = ["xmin", "ymin", "xmax", "ymax"].map((k) => num(b[k], where, k));
    if (!(xmin <= xmax && ymin <= ymax))
      throw new Error(`${where} (${cls}): box (${xmin}, ${ymin})-(${xmax}, ${ymax}) has its corners swapped`);
    return {
      kind: "box",
      cls,
      x0: Math.max(0, xmin - 1),
      y0: Math.max(0, ymin - 1),
      x1: xmax,
      y1: ymax,
      truncated: String(o.truncated ?? "0") === "1",
    };
  });
  return {
    image,
    source: file,
    shapes,
    width: size ? num(size.width, file, "size/width") : undefined,
    height: size ? num(size.height, file, "size/height") : undefined,
  };
}

/** A folder of VOC .xml files (or one file). */
export function readVoc(path: string): AnnotationSet {
  const files = statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((f) => f.toLowerCase().endsWith(".xml") && !f.startsWith("."))
        .sort()
        .map((f) => join(path, f))
    : [path];
  if (files.length === 0) throw new Error(`${path}: holds no .xml files`);
  const images = new Map<string, ImageAnnotations>();
  for (const f of files) addImage(images, parseVoc(readFileSync(f, "utf8"), f));
  return { format: "voc", images };
}
