// The reference files in test/data/io (made by make_fixtures.py with numpy, Pillow, tifffile and
// libtiff) and the formulas their pixel values follow.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../helpers.js";

export const data = (name: string): string => join(ROOT, "test", "data", "io", name);
export const tmp = (): string => mkdtempSync(join(tmpdir(), "hemoseg-io-"));

export const u8 = (c: number, y: number, x: number): number => (c * 37 + y * 11 + x * 3) % 256;
export const u16 = (c: number, y: number, x: number): number =>
  (c * 9001 + y * 257 + x * 131 + 32000) % 65536;
export const f32 = (c: number, y: number, x: number): number => c * 100 + y - x * 0.5 + 0.25;
/** Pseudo-random 16-bit values (they make LZW reset its table). */
export const rnd = (c: number, y: number, x: number): number => {
  const k = ((c * 73856093) ^ (y * 19349663) ^ (x * 83492791)) >>> 0;
  return Math.imul(k, 2654435761) >>> 16;
};

/** f over a (C, H, W) grid, row-major. */
export function grid(
  C: number,
  H: number,
  W: number,
  f: (c: number, y: number, x: number) => number,
): number[] {
  const out: number[] = [];
  for (let c = 0; c < C; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out.push(f(c, y, x));
  return out;
}
