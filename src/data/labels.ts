// Label conventions: how the values of a lab's mask files become hemoseg labels (class index, or
// 255 = unlabelled). Tools disagree: napari and cellpose paint on 0 ("not painted"), nnU-Net has
// an "ignore" label, segmentation sets store classes as grey levels (0 / 128 / 255). hemoseg never
// guesses: a mask is taken as is only when it plainly follows hemoseg's convention, otherwise the
// import stops and says which option to give.
//   --unlabelled V      value V means "not labelled" (255 in hemoseg); other values unchanged
//   --mask-map "a:b,.." every value a becomes b (255 = unlabelled); a value not listed is an error
//   --dense             the masks label every pixel (0 is a class, usually background)
import { IGNORE_INDEX } from "./dataset.js";

export interface LabelConvention {
  /** The value meaning "not labelled" in the files (napari, cellpose: 0). */
  unlabelled?: number;
  /** Value -> label, for every value the files hold (e.g. 0:255, 128:1, 255:2). */
  maskMap?: Map<number, number>;
  /** The masks are dense: every pixel is labelled, mostly 0 is expected. */
  dense?: boolean;
}

/** A mask with no 255 whose share of 0 is above this looks like a napari/cellpose export. */
export const NAPARI_ZERO_SHARE = 0.5;

/** Parses "0:255,128:1,255:2" (whitespace allowed); each side a whole number 0..255. */
export function parseMaskMap(spec: string, option = "--mask-map"): Map<number, number> {
  const map = new Map<number, number>();
  for (const part of spec.split(",")) {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(part);
    if (!m)
      throw new Error(`${option}: "${part.trim()}" is not FROM:TO (e.g. ${option} "0:255,128:1,255:2")`);
    const [from, to] = [Number(m[1]), Number(m[2])];
    if (from > 255 || to > 255) throw new Error(`${option}: "${part.trim()}": values must lie in 0..255`);
    if (map.has(from)) throw new Error(`${option}: value ${from} is mapped twice`);
    map.set(from, to);
  }
  if (map.size === 0) throw new Error(`${option}: empty map`);
  return map;
}

/** Checks a convention's options against each other and the class count. */
export function checkConvention(c: LabelConvention, numClasses: number): void {
  const given = [c.unlabelled !== undefined, c.maskMap !== undefined, c.dense === true].filter(Boolean);
  if (c.unlabelled !== undefined && c.maskMap)
    throw new Error("--unlabelled and --mask-map both given: say the unlabelled value in the map (V:255)");
  if (given.length > 1 && c.dense && c.unlabelled !== undefined)
    throw new Error("--dense and --unlabelled contradict each other: dense masks have no unlabelled value");
  if (
    c.unlabelled !== undefined &&
    !(Number.isInteger(c.unlabelled) && c.unlabelled >= 0 && c.unlabelled <= 255)
  )
    throw new Error(`--unlabelled must be a whole number 0..255, got ${c.unlabelled}`);
  for (const [from, to] of c.maskMap ?? [])
    if (to >= numClasses && to !== IGNORE_INDEX)
      throw new Error(
        `--mask-map: ${from}:${to} maps to ${to}, which is neither a class (0..${numClasses - 1}) nor 255 (unlabelled)`,
      );
}

/** The distinct values of a mask with their pixel counts, ascending. */
export function valueCounts(mask: Uint8Array): [number, number][] {
  const n = new Float64Array(256);
  for (let i = 0; i < mask.length; i++) n[mask[i]]++;
  const out: [number, number][] = [];
  for (let v = 0; v < 256; v++) if (n[v] > 0) out.push([v, n[v]]);
  return out;
}

const listValues = (counts: [number, number][]) =>
  counts
    .slice(0, 12)
    .map(([v, n]) => `${v} (${n} px)`)
    .join(", ") + (counts.length > 12 ? `, ... (${counts.length} values)` : "");

/** A --mask-map sending the original values to consecutive classes, the unlabelled value to 255. */
function suggestMap(values: number[], unlabelled?: number): string {
  let k = 0;
  return values.map((v) => `${v}:${v === unlabelled ? 255 : k++}`).join(",");
}

/**
 * Applies a label convention to one mask (in place when possible) and checks the result; every
 * refusal names the file, the values found and the option that would fix it.
 */
export function applyConvention(
  mask: Uint8Array,
  c: LabelConvention,
  numClasses: number,
  file: string,
  width: number,
): Uint8Array {
  const counts = valueCounts(mask);
  const values = counts.map(([v]) => v);
  const total = mask.length;
  if (c.maskMap) {
    const missing = values.filter((v) => !c.maskMap!.has(v));
    if (missing.length)
      throw new Error(
        `${file}: mask value${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ha${missing.length > 1 ? "ve" : "s"} no entry in --mask-map (values found: ${listValues(counts)})`,
      );
    const lut = new Uint8Array(256);
    for (const [from, to] of c.maskMap) lut[from] = to;
    for (let i = 0; i < mask.length; i++) mask[i] = lut[mask[i]];
    return mask;
  }
  if (c.unlabelled !== undefined) {
    const u = c.unlabelled;
    if (u !== IGNORE_INDEX && values.includes(IGNORE_INDEX))
      throw new Error(
        `${file}: mask holds 255, hemoseg's "unlabelled", while --unlabelled ${u} says ${u} is the unlabelled value; ` +
          `say what each value is with --mask-map (values found: ${listValues(counts)})`,
      );
    for (let i = 0; i < mask.length; i++) if (mask[i] === u) mask[i] = IGNORE_INDEX;
  } else if (!c.dense) {
    const zeros = counts.find(([v]) => v === 0)?.[1] ?? 0;
    if (!values.includes(IGNORE_INDEX) && zeros / total > NAPARI_ZERO_SHARE)
      throw new Error(
        `${file}: mask holds no 255 (hemoseg's "unlabelled") and ${((100 * zeros) / total).toFixed(1)}% of its pixels are 0, ` +
          `as napari and cellpose label images look; say what 0 means: --unlabelled 0 if 0 is "not painted", ` +
          `or --dense if every pixel is labelled and 0 is a class (values found: ${listValues(counts)})`,
      );
  }
  const bad = valueCounts(mask)
    .map(([v]) => v)
    .filter((v) => v >= numClasses && v !== IGNORE_INDEX);
  if (bad.length) {
    const at = mask.findIndex((v) => v >= numClasses && v !== IGNORE_INDEX);
    const others = bad.length > 1 ? ` (also ${bad.slice(1).join(", ")})` : "";
    throw new Error(
      `${file}: mask value ${mask[at]} at row ${Math.floor(at / width)}, column ${at % width} is neither a class ` +
        `(0..${numClasses - 1}) nor 255 (unlabelled)${others}; values found: ${listValues(counts)}; ` +
        `say which class each value is with --mask-map "${suggestMap(values, c.unlabelled)}" (255 = unlabelled), ` +
        "or name more classes with --classes",
    );
  }
  return mask;
}
