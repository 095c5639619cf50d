// Reads annotations in any supported format, chosen by option or from the path.
import { existsSync, readdirSync, statSync } from "node:fs";
import { extname } from "node:path";
import { readCoco } from "./coco.js";
import { readCsv } from "./csv.js";
import type { AnnotationFormat, AnnotationSet } from "./types.js";
import { readVoc } from "./voc.js";
import { readYolo } from "./yolo.js";

export * from "./types.js";
export { parseVoc } from "./voc.js";
export { parseYolo, readDataYaml } from "./yolo.js";

export const ANNOTATION_FORMATS: AnnotationFormat[] = ["voc", "yolo", "coco", "csv"];

/** voc for a folder of .xml, yolo for a folder of .txt, coco for .json, csv for .csv. */
export function detectFormat(path: string): AnnotationFormat {
  if (!existsSync(path)) throw new Error(`${path}: no such file or folder`);
  if (statSync(path).isDirectory()) {
    const names = readdirSync(path).map((f) => extname(f).toLowerCase());
    if (names.includes(".xml")) return "voc";
    if (names.includes(".txt")) return "yolo";
    throw new Error(`${path}: holds neither .xml (Pascal VOC) nor .txt (YOLO) annotation files`);
  }
  const ext = extname(path).toLowerCase();
  if (ext === ".json") return "coco";
  if (ext === ".csv") return "csv";
  if (ext === ".xml") return "voc";
  throw new Error(
    `${path}: cannot tell the annotation format from '${ext}'; give --format voc|yolo|coco|csv`,
  );
}

export function readAnnotations(path: string, format: AnnotationFormat, imageNames: string[]): AnnotationSet {
  switch (format) {
    case "voc":
      return readVoc(path);
    case "yolo":
      return readYolo(path, imageNames);
    case "coco":
      return readCoco(path);
    case "csv":
      return readCsv(path);
  }
}
