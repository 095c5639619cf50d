// Seeded random numbers for the generator. Each stack draws from streams keyed by (seed, index,
// purpose), so any stack can be made alone, in any order, and one stage's draws (the labels, say)
// never shift another's (the image).

/** Mixes integers into one 32-bit seed (a murmur3-style finaliser per word). */
export function hashSeed(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const w of words) {
    // Seeds above 2^32 still count through their high word.
    const hi = Math.floor(w / 4294967296);
    for (const part of [w >>> 0, hi >>> 0]) {
      h = Math.imul(h ^ part, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h >>> 0;
}

/** mulberry32 with helpers for the distributions the scene needs. */
export class Rng {
  private s: number;
  private spare = Number.NaN;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform on [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  uniform(a: number, b: number): number {
    return a + (b - a) * this.next();
  }

  /** Integer in [a, b). */
  int(a: number, b: number): number {
    return a + Math.floor((b - a) * this.next());
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box-Muller, the second value kept for the next call). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const v = this.spare;
      this.spare = Number.NaN;
      return v;
    }
    const u = 1 - this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(a);
    return r * Math.cos(a);
  }

  /** Poisson count (Knuth's product method; the scene's means are small). */
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }
}

/** 65,536 standard-normal draws made once from a fixed seed: sensor noise indexes it with 16 random bits,
 * which is several times faster than Box-Muller for the million noise values of a stack. */
export const GAUSS_TABLE: Float32Array = (() => {
  const r = new Rng(0x5eed);
  const t = new Float32Array(65536);
  for (let i = 0; i < t.length; i++) t[i] = r.normal();
  return t;
})();
