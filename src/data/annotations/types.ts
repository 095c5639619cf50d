// Object annotations as detection and instance tools write them, in one form: per image, shapes
// with a class name, in pixel coordinates of that image (or normalised to 0..1, scaled once the
// image size is known). Pixel edges: a box [x0, x1) x [y0, y1) covers pixels x0..x1-1.

export type Shape =
  | { kind: "box"; cls: string; x0: number; y0: number; x1: number; y1: number; truncated?: boolean }
  | { kind: "polygon"; cls: string; points: number[] } // x0, y0, x1, y1, ...
  | { kind: "point"; cls: string; x: number; y: number }
  /** A region that gets no label but keeps background dots away (COCO crowd RLE). */
  | { kind: "blocked"; cls: string; x0: number; y0: number; x1: number; y1: number };

export interface ImageAnnotations {
  /** The image's file name (no folder). */
  image: string;
  /** The file the shapes came from, for error messages. */
  source: string;
  shapes: Shape[];
  /** Coordinates are fractions of the image's width and height (YOLO). */
  normalised?: boolean;
  /** Size the annotation file states, checked against the image. */
  width?: number;
  height?: number;
}

export type AnnotationFormat = "voc" | "yolo" | "coco" | "csv";

export interface AnnotationSet {
  format: AnnotationFormat;
  /** By image file name. */
  images: Map<string, ImageAnnotations>;
  /** Class names in the files' own order where they define one (YOLO data.yaml, COCO categories). */
  classNames?: string[];
}

/** Adds an image's annotations, refusing a second file for the same image. */
export function addImage(set: Map<string, ImageAnnotations>, a: ImageAnnotations): void {
  const other = set.get(a.image);
  if (other && other.source !== a.source)
    throw new Error(`${a.source}: annotates image ${a.image}, which ${other.source} annotates too`);
  if (other) other.shapes.push(...a.shapes);
  else set.set(a.image, a);
}

/** A finite number, or an error naming the file and field. */
export function num(v: unknown, where: string, field: string): number {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new Error(`${where}: ${field} is ${JSON.stringify(v)}, not a number`);
  return n;
}
