// Scene layout: which objects a stack holds, where, and their shape parameters. Sizes are physical
// (pixels at the instrument's magnification), so a smaller field of view holds proportionally fewer
// objects; counts are drawn per 256 x 256 field and scaled by area.

import type { Rng } from "./rng.js";

/** Radial outline r(theta) = r * (1 + sum_k amp[k] cos(k theta + phase[k])), k = 2, 3, ... */
export interface Outline {
  amp: number[];
  phase: number[];
}
export interface Capsule {
  ax: number;
  ay: number;
  bx: number;
  by: number;
  r: number;
}
export interface Rbc {
  x: number;
  y: number;
  r: number;
  /** Ellipse stretch (semi-axes r(1+s), r/(1+s)) and its orientation. */
  stretch: number;
  angle: number;
  /** Centre thickness of the Evans-Fung profile relative to its second-order term; large = no pale centre. */
  dimple: number;
  hb: number;
}
export interface Wbc {
  x: number;
  y: number;
  r: number;
  outline: Outline;
  nucleus: Capsule[];
  nucleusAmount: number;
  granules: { x: number; y: number; amount: number }[];
}
export interface Blob {
  x: number;
  y: number;
  r: number;
  outline: Outline;
  amount: number;
  /** Texture waves (kx, ky, phase) in the blob's frame. */
  waves: number[];
}
export interface Disc {
  x: number;
  y: number;
  r: number;
}
export interface Fibre {
  segments: Capsule[];
  amount: number;
}
export interface Bubble extends Disc {
  rimWidth: number;
}
export interface Line {
  x: number;
  y: number;
  /** Unit direction. */
  dx: number;
  dy: number;
  /** Extent along the direction from (x, y). */
  t0: number;
  t1: number;
  halfWidth: number;
  depth: number;
  /** Depth ripple along the line (wavelength px, phase). */
  rippleK: number;
  ripplePhase: number;
}
export interface Scene {
  size: number;
  bubbles: Bubble[];
  wbcs: Wbc[];
  rbcs: Rbc[];
  platelets: Blob[];
  beads: Disc[];
  /** Each monster bead is one large bead or an aggregate of touching beads. */
  monsters: Disc[][];
  debris: Blob[];
  fibres: Fibre[];
  /** Tiny particles too small for an annotator to call debris: background. */
  specks: Blob[];
  sensorScratches: Line[];
  topScratches: Line[];
}

/** Calibration beads are monodisperse: one radius, a few per cent spread. */
const BEAD_RADIUS = 4.4;

function outline(rng: Rng, amount: number, harmonics: number): Outline {
  const amp: number[] = [];
  const phase: number[] = [];
  for (let k = 2; k < 2 + harmonics; k++) {
    amp.push((amount * rng.uniform(0.3, 1)) / (k - 1) ** 0.7);
    phase.push(rng.uniform(0, 2 * Math.PI));
  }
  // At most 1.8 r anywhere, so the object fits the box it is drawn in.
  const total = amp.reduce((a, b) => a + b, 0);
  return { amp: total > 0.8 ? amp.map((a) => (a * 0.8) / total) : amp, phase };
}

function blob(rng: Rng, x: number, y: number, r: number, irregular: number, amount: number): Blob {
  const waves: number[] = [];
  for (let i = 0; i < 3; i++) {
    const a = rng.uniform(0, Math.PI);
    const k = rng.uniform(0.5, 1.6) / Math.max(1.5, r * 0.25);
    waves.push(k * Math.cos(a), k * Math.sin(a), rng.uniform(0, 2 * Math.PI));
  }
  return { x, y, r, outline: outline(rng, irregular, 6), amount, waves };
}

/** Circles already placed, by kind, for the overlap rules. */
class Occupancy {
  readonly items: { x: number; y: number; r: number; kind: string }[] = [];
  add(x: number, y: number, r: number, kind: string): void {
    this.items.push({ x, y, r, kind });
  }
  /** True when (x, y, r) keeps at least `gap(kind) * (r + other.r)` from every circle of a listed kind. */
  clear(x: number, y: number, r: number, gap: Record<string, number>): boolean {
    for (const o of this.items) {
      const g = gap[o.kind];
      if (g === undefined) continue;
      const d = g * (r + o.r);
      if ((x - o.x) ** 2 + (y - o.y) ** 2 < d * d) return false;
    }
    return true;
  }
}

/** Poisson count for a mean given per 256 x 256 field. */
const count = (rng: Rng, perField: number, area: number): number => rng.poisson(perField * area);

function line(rng: Rng, size: number, full: boolean, halfWidth: number, depth: number): Line {
  const a = rng.uniform(0, Math.PI);
  const half = full ? 2 * size : rng.uniform(0.2, 0.6) * size;
  return {
    x: rng.uniform(0.1, 0.9) * size,
    y: rng.uniform(0.1, 0.9) * size,
    dx: Math.cos(a),
    dy: Math.sin(a),
    t0: -half,
    t1: full ? half : half * rng.uniform(0.5, 1),
    halfWidth,
    depth,
    rippleK: (2 * Math.PI) / rng.uniform(6, 30),
    ripplePhase: rng.uniform(0, 2 * Math.PI),
  };
}

/** Draws the scene of one stack. */
export function layoutScene(rng: Rng, size: number): Scene {
  const area = (size * size) / 65536;
  const S = size;
  const occ = new Occupancy();
  const tries = (n: number, place: () => boolean): void => {
    for (let placed = 0, t = 0; placed < n && t < 40 * n; t++) if (place()) placed++;
  };
  const inField = (m: number) => rng.uniform(-m, S + m);

  const bubbles: Bubble[] = [];
  tries(count(rng, 0.55, area), () => {
    const r = rng.uniform(16, 46);
    const x = inField(0.25 * r);
    const y = inField(0.25 * r);
    if (!occ.clear(x, y, r, { bubble: 1.05 })) return false;
    occ.add(x, y, r, "bubble");
    bubbles.push({ x, y, r, rimWidth: Math.max(3, r * rng.uniform(0.12, 0.2)) });
    return true;
  });

  const wbcs: Wbc[] = [];
  tries(count(rng, 0.6, area), () => {
    const r = rng.uniform(12, 17);
    const x = inField(-r * 0.3);
    const y = inField(-r * 0.3);
    if (!occ.clear(x, y, r, { bubble: 1.05, wbc: 1.0 })) return false;
    occ.add(x, y, r, "wbc");
    wbcs.push(whiteCell(rng, x, y, r));
    return true;
  });

  const monsters: Disc[][] = [];
  tries(count(rng, 0.3, area), () => {
    const x = inField(-12);
    const y = inField(-12);
    if (!occ.clear(x, y, 12, { bubble: 1.05, wbc: 1.0, monster: 1.0 })) return false;
    const parts: Disc[] = [];
    if (rng.chance(0.4)) {
      parts.push({ x, y, r: rng.uniform(8, 13) });
    } else {
      // An aggregate: beads stuck to each other, each touching one already there.
      parts.push({ x, y, r: BEAD_RADIUS });
      const n = rng.int(3, 9);
      for (let t = 0; parts.length < n && t < 60; t++) {
        const base = parts[rng.int(0, parts.length)];
        const a = rng.uniform(0, 2 * Math.PI);
        const r = BEAD_RADIUS * rng.uniform(0.97, 1.03);
        const bx = base.x + Math.cos(a) * (base.r + r) * 0.96;
        const by = base.y + Math.sin(a) * (base.r + r) * 0.96;
        if (parts.every((p) => (p.x - bx) ** 2 + (p.y - by) ** 2 >= (0.9 * (p.r + r)) ** 2))
          parts.push({ x: bx, y: by, r });
      }
    }
    for (const p of parts) occ.add(p.x, p.y, p.r, "monster");
    monsters.push(parts);
    return true;
  });

  const beads: Disc[] = [];
  if (rng.chance(1 - 0.5 ** area)) {
    tries(1 + count(rng, 2.5, area), () => {
      const r = BEAD_RADIUS * rng.uniform(0.97, 1.03);
      const x = inField(-r);
      const y = inField(-r);
      if (!occ.clear(x, y, r, { bubble: 1.05, wbc: 1.0, monster: 1.6, bead: 1.05 })) return false;
      occ.add(x, y, r, "bead");
      beads.push({ x, y, r });
      return true;
    });
  }

  const debris: Blob[] = [];
  tries(count(rng, 2.2, area), () => {
    const r = 5 + 20 * rng.next() ** 1.5;
    const x = inField(0);
    const y = inField(0);
    if (!occ.clear(x, y, r, { bubble: 1.1, wbc: 0.8, debris: 1.0 })) return false;
    occ.add(x, y, r * 0.7, "debris");
    debris.push(blob(rng, x, y, r, rng.uniform(0.2, 0.42), rng.uniform(0.5, 1.3)));
    return true;
  });

  const fibres: Fibre[] = [];
  tries(count(rng, 0.35, area), () => {
    let x = inField(0);
    let y = inField(0);
    if (!occ.clear(x, y, 4, { bubble: 1.1 })) return false;
    const w = rng.uniform(1.1, 2.4);
    let a = rng.uniform(0, 2 * Math.PI);
    const segments: Capsule[] = [];
    const n = rng.int(3, 8);
    for (let i = 0; i < n; i++) {
      a += rng.uniform(-0.5, 0.5);
      const len = rng.uniform(5, 12);
      const nx = x + Math.cos(a) * len;
      const ny = y + Math.sin(a) * len;
      segments.push({ ax: x, ay: y, bx: nx, by: ny, r: w });
      x = nx;
      y = ny;
    }
    fibres.push({ segments, amount: rng.uniform(0.6, 1.4) });
    return true;
  });

  const rbcs: Rbc[] = [];
  const crowd = rng.uniform(40, 125) * area;
  tries(Math.round(crowd), () => {
    const r = rng.uniform(7.3, 9.8);
    const x = inField(r * 0.6);
    const y = inField(r * 0.6);
    // Most cells touch at most; some overlap as they settle on each other.
    const rbcGap = rng.chance(0.15) ? 0.55 : 0.9;
    const gaps = { bubble: 1.03, wbc: 0.95, monster: 1.0, bead: 1.0, debris: 0.6, rbc: rbcGap };
    if (!occ.clear(x, y, r, gaps)) return false;
    occ.add(x, y, r, "rbc");
    const spherocyte = rng.chance(0.05);
    rbcs.push({
      x,
      y,
      r: spherocyte ? r * 0.85 : r,
      stretch: rng.uniform(0, 0.1),
      angle: rng.uniform(0, Math.PI),
      dimple: spherocyte ? rng.uniform(0.7, 1.0) : rng.uniform(0.03, 0.16),
      hb: rng.uniform(0.85, 1.15),
    });
    return true;
  });

  const platelets: Blob[] = [];
  const addPlatelet = (x: number, y: number): boolean => {
    const r = rng.uniform(2.0, 3.4);
    if (!occ.clear(x, y, r, { bubble: 1.05, wbc: 1.0, monster: 1.0, bead: 1.0, platelet: 1.0 })) return false;
    // Platelets settle mostly in the gaps between red cells.
    if (!occ.clear(x, y, r, { rbc: 0.8 }) && rng.chance(0.75)) return false;
    occ.add(x, y, r, "platelet");
    platelets.push(blob(rng, x, y, r, rng.uniform(0.1, 0.25), rng.uniform(0.8, 1.2)));
    return true;
  };
  tries(count(rng, 7, area), () => addPlatelet(inField(-3), inField(-3)));
  tries(count(rng, 0.4, area), () => {
    const cx = inField(-8);
    const cy = inField(-8);
    let n = 0;
    for (let t = 0; t < 30 && n < 5; t++) if (addPlatelet(cx + rng.normal() * 4, cy + rng.normal() * 4)) n++;
    return n > 0;
  });

  const specks: Blob[] = [];
  for (let i = count(rng, 14, area); i > 0; i--)
    specks.push(blob(rng, inField(0), inField(0), rng.uniform(0.6, 1.4), 0.1, rng.uniform(0.15, 0.5)));

  const sensorScratches: Line[] = [];
  for (let i = count(rng, 0.3, area); i > 0; i--)
    sensorScratches.push(line(rng, S, true, rng.uniform(0.8, 1.6), rng.uniform(0.25, 0.55)));
  const topScratches: Line[] = [];
  for (let i = count(rng, 0.3, area); i > 0; i--)
    topScratches.push(line(rng, S, false, rng.uniform(1.2, 2.6), rng.uniform(0.45, 0.8)));

  return {
    size,
    bubbles,
    wbcs,
    rbcs,
    platelets,
    beads,
    monsters,
    debris,
    fibres,
    specks,
    sensorScratches,
    topScratches,
  };
}

/** A white cell: round, slightly irregular cytoplasm with granules, and a nucleus that is lobed
 * (neutrophil), bilobed (eosinophil), large and round (lymphocyte) or kidney-shaped (monocyte). */
function whiteCell(rng: Rng, x: number, y: number, r: number): Wbc {
  const nucleus: Capsule[] = [];
  const kind = rng.next();
  const a0 = rng.uniform(0, 2 * Math.PI);
  const at = (ang: number, d: number) => [x + Math.cos(ang) * d, y + Math.sin(ang) * d];
  let granuleCount = rng.int(10, 30);
  if (kind < 0.55) {
    // Neutrophil: 3-5 lobes on an arc joined by thin strands.
    const lobes = rng.int(3, 6);
    const arc = r * rng.uniform(0.35, 0.48);
    const spread = rng.uniform(2.4, 4.2);
    let prev: number[] | null = null;
    for (let i = 0; i < lobes; i++) {
      const [lx, ly] = at(a0 + (spread * (i - (lobes - 1) / 2)) / lobes, arc + rng.uniform(-1, 1));
      const lr = r * rng.uniform(0.2, 0.27);
      nucleus.push({ ax: lx, ay: ly, bx: lx, by: ly, r: lr });
      if (prev) nucleus.push({ ax: prev[0], ay: prev[1], bx: lx, by: ly, r: r * 0.07 });
      prev = [lx, ly];
    }
  } else if (kind < 0.7) {
    // Eosinophil: two lobes, many coarse granules.
    const [ax, ay] = at(a0, r * 0.38);
    const [bx, by] = at(a0 + Math.PI * rng.uniform(0.7, 1.0), r * 0.38);
    nucleus.push({ ax, ay, bx: ax, by: ay, r: r * 0.3 }, { ax: bx, ay: by, bx, by, r: r * 0.3 });
    nucleus.push({ ax, ay, bx, by, r: r * 0.08 });
    granuleCount = rng.int(50, 90);
  } else if (kind < 0.88) {
    // Lymphocyte: a large round nucleus, a thin rim of cytoplasm.
    const [nx, ny] = at(a0, r * 0.12);
    nucleus.push({ ax: nx, ay: ny, bx: nx, by: ny, r: r * rng.uniform(0.68, 0.8) });
    granuleCount = rng.int(0, 6);
  } else {
    // Monocyte: a kidney-shaped nucleus (a bent capsule chain).
    const bend = r * 0.32;
    const pts = [-0.9, 0, 0.9].map((d) => at(a0 + d, bend));
    for (let i = 0; i < 2; i++)
      nucleus.push({ ax: pts[i][0], ay: pts[i][1], bx: pts[i + 1][0], by: pts[i + 1][1], r: r * 0.33 });
  }
  const granules: Wbc["granules"] = [];
  for (let i = 0; i < granuleCount; i++) {
    const [gx, gy] = at(rng.uniform(0, 2 * Math.PI), r * Math.sqrt(rng.next()) * 0.88);
    granules.push({ x: gx, y: gy, amount: rng.uniform(0.3, 0.8) });
  }
  return { x, y, r, outline: outline(rng, 0.05, 4), nucleus, nucleusAmount: rng.uniform(0.8, 1.2), granules };
}
