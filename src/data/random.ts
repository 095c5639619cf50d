// Small seeded random streams for splits, shuffles and flips. Data order must repeat exactly from
// (seed, epoch) whatever the process, thread count or libtorch state, so it does not use torch's RNG.

/** Mixes integers into one 32-bit seed (splitmix32 finaliser per word). */
export function mixSeed(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const w of words) {
    h = Math.imul(h ^ (w >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    // Seeds above 2^32 (rare) still count through their high word.
    const hi = Math.floor(w / 4294967296);
    if (hi !== 0) h = Math.imul(h ^ hi, 0x27d4eb2f);
  }
  return h >>> 0;
}

/** mulberry32: a uniform generator on [0, 1) with 2^32 states. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles a in place (Fisher-Yates) and returns it. */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(
  a: T,
  rand: () => number,
): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const x = a[i];
    a[i] = a[j];
    a[j] = x;
  }
  return a;
}
