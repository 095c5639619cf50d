// The train/val/test split of a dataset's stacks: a seeded permutation cut by fractions. Images and
// masks share stack indices, so one split serves both.
import { mixSeed, rng, shuffleInPlace } from "./random.js";

export type SplitName = "train" | "val" | "test";
export const SPLITS: readonly SplitName[] = ["train", "val", "test"];

export interface Split {
  train: number[];
  val: number[];
  test: number[];
}

/** How many of n items each fraction gets: floors, the remainder to the largest fractional parts,
 *  and at least one item for every non-zero fraction when n allows it. */
export function splitSizes(n: number, fractions: readonly number[]): number[] {
  const total = fractions.reduce((a, b) => a + b, 0);
  const exact = fractions.map((f) => (n * f) / total);
  const sizes = exact.map(Math.floor);
  const order = exact.map((e, i) => [e - Math.floor(e), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0, left = n - sizes.reduce((a, b) => a + b, 0); left > 0; k++, left--) sizes[order[k][1]]++;
  for (let i = 0; i < sizes.length; i++) {
    if (fractions[i] <= 0 || sizes[i] > 0) continue;
    const donor = sizes.indexOf(Math.max(...sizes));
    if (sizes[donor] > 1) {
      sizes[donor]--;
      sizes[i]++;
    }
  }
  return sizes;
}

/** A deterministic split of 0..n-1: the same (n, seed, fractions) always gives the same lists,
 *  each sorted ascending (sequential reads; the loader shuffles). */
export function splitIndices(n: number, seed: number, fractions: readonly number[] = [0.8, 0.1, 0.1]): Split {
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`splitIndices: n must be a non-negative integer, got ${n}`);
  if (fractions.length !== 3 || fractions.some((f) => !(f >= 0)) || !(fractions.reduce((a, b) => a + b) > 0))
    throw new Error(
      `splitIndices: fractions must be three non-negative numbers with a positive sum, got [${fractions}]`,
    );
  const perm = shuffleInPlace(
    Array.from({ length: n }, (_, i) => i),
    rng(mixSeed(seed, 0x5917)),
  );
  const [a, b] = splitSizes(n, fractions);
  const sorted = (xs: number[]) => xs.sort((x, y) => x - y);
  return {
    train: sorted(perm.slice(0, a)),
    val: sorted(perm.slice(a, a + b)),
    test: sorted(perm.slice(a + b)),
  };
}
