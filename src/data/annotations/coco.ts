// COCO JSON (instances): "images" (id, file_name, width, height), "categories" (id, name) and
// "annotations" (image_id, category_id, bbox [x, y, w, h], segmentation: polygons
// [[x1, y1, x2, y2, ...], ...] or, for crowds, RLE). Polygons become full labels; an annotation
// without one is a box; crowd RLE regions get no label but keep background dots away.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { type AnnotationSet, addImage, type ImageAnnotations, num, type Shape } from "./types.js";

export function readCoco(file: string): AnnotationSet {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  for (const k of ["images", "annotations", "categories"])
    if (!Array.isArray(doc?.[k])) throw new Error(`${file}: no "${k}" list (not COCO JSON)`);
  const cats = new Map<number, string>();
  for (const c of doc.categories as Record<string, unknown>[]) {
    if (typeof c.name !== "string") throw new Error(`${file}: category ${JSON.stringify(c.id)} has no name`);
    cats.set(num(c.id, file, "categories[].id"), c.name);
  }
  const byId = new Map<number, ImageAnnotations>();
  const images = new Map<string, ImageAnnotations>();
  for (const im of doc.images as Record<string, unknown>[]) {
    if (typeof im.file_name !== "string")
      throw new Error(`${file}: image ${JSON.stringify(im.id)} has no file_name`);
    const a: ImageAnnotations = {
      image: basename(im.file_name),
      source: file,
      shapes: [],
      width: im.width === undefined ? undefined : num(im.width, file, `image ${im.id} width`),
      height: im.height === undefined ? undefined : num(im.height, file, `image ${im.id} height`),
    };
    byId.set(num(im.id, file, "images[].id"), a);
    addImage(images, a);
  }
  (doc.annotations as Record<string, unknown>[]).forEach((an, i) => {
    const where = `${file}: annotation ${JSON.stringify(an.id ?? i)}`;
    const img = byId.get(num(an.image_id, where, "image_id"));
    if (!img) throw new Error(`${where}: image_id ${an.image_id} is not in "images"`);
    const cls = cats.get(num(an.category_id, where, "category_id"));
    if (cls === undefined) throw new Error(`${where}: category_id ${an.category_id} is not in "categories"`);
    const seg = an.segmentation;
    const bbox = Array.isArray(an.bbox) ? an.bbox.map((v, k) => num(v, where, `bbox[${k}]`)) : undefined;
    const boxOf = () => {
      if (bbox?.length !== 4) throw new Error(`${where}: no bbox [x, y, w, h]`);
      const [x, y, w, h] = bbox as number[];
      if (!(w >= 0 && h >= 0)) throw new Error(`${where}: bbox has width ${w} and height ${h}`);
      return { x0: x, y0: y, x1: x + w, y1: y + h };
    };
    if (Array.isArray(seg) && seg.length > 0) {
      for (const poly of seg) {
        if (!Array.isArray(poly) || poly.length < 6 || poly.length % 2)
          throw new Error(`${where}: a polygon must list at least 3 x, y pairs`);
        img.shapes.push({
          kind: "polygon",
          cls,
          points: poly.map((v, k) => num(v, where, `segmentation[${k}]`)),
        });
      }
    } else if (seg && typeof seg === "object" && !Array.isArray(seg)) {
      img.shapes.push({ kind: "blocked", cls, ...boxOf() } as Shape);
    } else {
      img.shapes.push({ kind: "box", cls, ...boxOf() });
    }
  });
  return { format: "coco", images, classNames: [...cats.values()] };
}
