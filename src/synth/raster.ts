// Rasterises a scene into what the optics needs and what the annotator sees: per-material absorbance
// maps and an optical-thickness (phase) map for the sample plane, darkening maps for the chamber top and
// the sensor, and the full ground-truth mask. Every object is drawn only inside its bounding box.

import { C } from "./classes.js";
import { M, NUM_MATERIALS } from "./optics.js";
import type { Capsule, Line, Outline, Scene } from "./scene.js";

export interface Layers {
  size: number;
  /** materials[m]: (S, S) absorbance units of material m in the sample plane. */
  materials: Float32Array[];
  /** (S, S) optical path difference; its Laplacian gives defocus halos. */
  phase: Float32Array;
  /** (S, S) fraction of light the chamber-top scratches take away, or null without any. */
  top: Float32Array | null;
  /** (S, S) fraction of light the sensor scratches take away, or null without any. */
  sensor: Float32Array | null;
  /** (S, S) class ids. */
  mask: Uint8Array;
}

const clamp01 = (v: number): number => (v < 0 ? 0 : Math.min(v, 1));

/** Cheap per-pixel hash in [0, 1) for granular textures. */
function pixelHash(x: number, y: number, salt: number): number {
  let h = Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1) ^ salt;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) / 4294967296;
}

/** Visits the pixels of the box around (x, y) with half-size r, clipped to the image. */
function forBox(S: number, x: number, y: number, r: number, fn: (p: number, dx: number, dy: number) => void) {
  const x0 = Math.max(0, Math.floor(x - r - 1));
  const x1 = Math.min(S - 1, Math.ceil(x + r + 1));
  const y0 = Math.max(0, Math.floor(y - r - 1));
  const y1 = Math.min(S - 1, Math.ceil(y + r + 1));
  for (let py = y0; py <= y1; py++) for (let px = x0; px <= x1; px++) fn(py * S + px, px - x, py - y);
}

function outlineRadius(o: Outline, theta: number): number {
  let f = 1;
  for (let i = 0; i < o.amp.length; i++) f += o.amp[i] * Math.cos((i + 2) * theta + o.phase[i]);
  return f;
}

/** Signed distance from (x, y) to a union of capsules (negative inside). */
function capsuleDistance(caps: Capsule[], x: number, y: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (const c of caps) {
    const vx = c.bx - c.ax;
    const vy = c.by - c.ay;
    const len2 = vx * vx + vy * vy;
    const t = len2 > 0 ? clamp01(((x - c.ax) * vx + (y - c.ay) * vy) / len2) : 0;
    const d = Math.hypot(x - c.ax - t * vx, y - c.ay - t * vy) - c.r;
    if (d < best) best = d;
  }
  return best;
}

/** Evans-Fung biconcave thickness profile, normalised to a maximum of 1, and its pale-centre radius. */
function rbcProfile(dimple: number): { norm: number; inner: number } {
  const f = (r: number) => Math.sqrt(1 - r * r) * (dimple + r * r - 0.56 * r ** 4);
  let max = 0;
  let argmax = 0;
  for (let i = 0; i <= 64; i++) {
    const v = f(i / 64);
    if (v > max) [max, argmax] = [v, i / 64];
  }
  const centre = f(0);
  // The pale centre is where the cell is thinner than halfway between its centre and its thickest ring.
  if (max - centre < 0.25 * max) return { norm: 1 / max, inner: 0 };
  const half = centre + 0.5 * (max - centre);
  let inner = 0;
  while (inner < argmax && f(inner) < half) inner += 1 / 128;
  return { norm: 1 / max, inner };
}

/** Visits the pixels within reach of a line (segment), with coverage and position along it. */
function forLine(S: number, l: Line, fn: (p: number, cover: number, t: number) => void): void {
  const nx = -l.dy;
  const ny = l.dx;
  const reach = l.halfWidth + 1;
  for (let py = 0; py < S; py++) {
    let lo = 0;
    let hi = S - 1;
    // |n . (p - p0)| <= reach and t0 - 1 <= d . (p - p0) <= t1 + 1, each an interval in x.
    for (const [kx, c, a, b] of [
      [nx, ny * (py - l.y), -reach, reach],
      [l.dx, l.dy * (py - l.y), l.t0 - 1, l.t1 + 1],
    ]) {
      if (Math.abs(kx) < 1e-9) {
        if (c < a || c > b) lo = S;
        continue;
      }
      const u = l.x + (a - c) / kx;
      const v = l.x + (b - c) / kx;
      lo = Math.max(lo, Math.ceil(Math.min(u, v)));
      hi = Math.min(hi, Math.floor(Math.max(u, v)));
    }
    for (let px = lo; px <= hi; px++) {
      const ex = px - l.x;
      const ey = py - l.y;
      const t = ex * l.dx + ey * l.dy;
      const across = Math.abs(ex * nx + ey * ny);
      const cover = clamp01(l.halfWidth + 0.5 - across) * clamp01(Math.min(t - l.t0, l.t1 - t) + 0.5);
      if (cover > 0) fn(py * S + px, cover, t);
    }
  }
}

export function rasterise(scene: Scene): Layers {
  const S = scene.size;
  const N = S * S;
  const mats = Array.from({ length: NUM_MATERIALS }, () => new Float32Array(N));
  const phase = new Float32Array(N);
  const mask = new Uint8Array(N);
  const paint = (p: number, cls: number, over: (m: number) => boolean) => {
    if (over(mask[p])) mask[p] = cls;
  };
  const overCells = (m: number) => m === C.background || m === C.rbcOuter || m === C.rbcInner;

  for (const b of scene.bubbles) {
    // An air bubble: a dark refractive rim, a coloured fringe inside it, a lens-like bright centre.
    const inner = 1 - b.rimWidth / b.r;
    forBox(S, b.x, b.y, b.r, (p, dx, dy) => {
      const rho = Math.hypot(dx, dy) / b.r;
      const cover = clamp01((1 - rho) * b.r + 0.5);
      if (cover <= 0) return;
      const t = clamp01((rho - inner) / (1 - inner));
      mats[M.rim][p] += cover * (t * t * (3 - 2 * t)) ** 1.5 - 0.12 * clamp01(1 - rho / 0.15);
      mats[M.fringe][p] += Math.exp(-0.5 * ((rho - inner + 0.04) / 0.035) ** 2) * 0.8;
      phase[p] -= 1.5 * Math.sqrt(Math.max(0, 1 - rho * rho)) * cover;
      if (rho <= 1) mask[p] = C.bubble;
    });
  }

  for (const w of scene.wbcs) {
    forBox(S, w.x, w.y, w.r * 1.3, (p, dx, dy) => {
      const rho = Math.hypot(dx, dy);
      const edge = w.r * outlineRadius(w.outline, Math.atan2(dy, dx));
      const cover = clamp01(edge - rho + 0.5);
      if (cover <= 0) return;
      const dome = Math.sqrt(Math.max(0, 1 - (rho / edge) ** 2));
      const nuc = clamp01(0.5 - capsuleDistance(w.nucleus, w.x + dx, w.y + dy)) * (0.75 + 0.25 * dome);
      mats[M.cyto][p] += cover * (0.65 + 0.35 * dome);
      mats[M.nucleus][p] += nuc * w.nucleusAmount;
      phase[p] += 0.8 * cover * dome + 0.5 * nuc;
      if (rho <= edge) paint(p, C.wbc, (m) => m !== C.bubble);
    });
    for (const g of w.granules) {
      const gx = Math.round(g.x);
      const gy = Math.round(g.y);
      if (gx >= 0 && gy >= 0 && gx < S && gy < S) mats[M.granule][gy * S + gx] += g.amount;
    }
  }

  for (const r of scene.rbcs) {
    const { norm, inner } = rbcProfile(r.dimple);
    const ca = Math.cos(r.angle);
    const sa = Math.sin(r.angle);
    const ra = r.r * (1 + r.stretch);
    const rb = r.r / (1 + r.stretch);
    forBox(S, r.x, r.y, ra, (p, dx, dy) => {
      const u = (dx * ca + dy * sa) / ra;
      const v = (-dx * sa + dy * ca) / rb;
      const rho = Math.sqrt(u * u + v * v);
      if (rho >= 1 + 0.5 / r.r) return;
      const q = Math.min(rho, 1);
      const h = Math.sqrt(1 - q * q) * (r.dimple + q * q - 0.56 * q ** 4) * norm;
      mats[M.hb][p] += r.hb * h;
      phase[p] += 0.9 * h;
      if (rho < inner) paint(p, C.rbcInner, (m) => m === C.background);
      else if (rho <= 1) paint(p, C.rbcOuter, (m) => m === C.background || m === C.rbcInner);
    });
  }

  const drawBlob = (b: (typeof scene.debris)[number], material: number, cls: number, salt: number) => {
    forBox(S, b.x, b.y, b.r * 1.9, (p, dx, dy) => {
      const rho = Math.hypot(dx, dy);
      const edge = b.r * outlineRadius(b.outline, Math.atan2(dy, dx));
      const cover = clamp01(edge - rho + 0.5);
      if (cover <= 0) return;
      const w = b.waves;
      let tex = 0;
      for (let i = 0; i < w.length; i += 3) tex += Math.sin(w[i] * dx + w[i + 1] * dy + w[i + 2]);
      const grain = pixelHash(Math.round(b.x + dx), Math.round(b.y + dy), salt);
      const d = cover * b.amount * (0.6 + 0.15 * tex + 0.35 * grain);
      mats[material][p] += d;
      phase[p] += 0.6 * cover;
      if (cls === C.platelet) mats[M.granule][p] += grain > 0.55 ? 0.5 * cover : 0;
      // Red cells settle over debris (they absorb far more and hide it); platelets sit on red cells.
      if (rho <= edge && cls !== C.background)
        paint(p, cls, cls === C.platelet ? overCells : (m) => m === C.background);
    });
  };
  scene.platelets.forEach((b, i) => {
    drawBlob(b, M.cyto, C.platelet, i);
  });

  const drawBead = (x: number, y: number, r: number, cls: number, over: (m: number) => boolean) => {
    forBox(S, x, y, r, (p, dx, dy) => {
      const rho = Math.hypot(dx, dy) / r;
      const cover = clamp01((1 - rho) * r + 0.5);
      if (cover <= 0) return;
      // Beads are spheres of dyed polystyrene: near-uniform dye path, strong refraction.
      mats[M.bead][p] += cover * Math.sqrt(Math.max(0, 1 - Math.min(1, rho) ** 8));
      phase[p] += 1.6 * Math.sqrt(Math.max(0, 1 - Math.min(1, rho) ** 2));
      if (rho <= 1) paint(p, cls, over);
    });
  };
  for (const b of scene.beads) drawBead(b.x, b.y, b.r, C.bead, overCells);
  for (const parts of scene.monsters)
    for (const b of parts)
      drawBead(b.x, b.y, b.r, C.monsterBead, (m) => overCells(m) || m === C.bead || m === C.platelet);

  scene.debris.forEach((b, i) => {
    drawBlob(b, M.debris, C.debris, 0x1000 + i);
  });
  for (const f of scene.fibres) {
    const xs = f.segments.flatMap((s) => [s.ax, s.bx]);
    const ys = f.segments.flatMap((s) => [s.ay, s.by]);
    const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
    const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
    const half = Math.max(Math.max(...xs) - cx, Math.max(...ys) - cy) + f.segments[0].r + 1;
    forBox(S, cx, cy, half, (p, dx, dy) => {
      const d = capsuleDistance(f.segments, cx + dx, cy + dy);
      const cover = clamp01(0.5 - d);
      if (cover <= 0) return;
      mats[M.debris][p] += cover * f.amount;
      phase[p] += 0.5 * cover;
      if (d <= 0) paint(p, C.debris, (m) => m !== C.bubble);
    });
  }
  scene.specks.forEach((b, i) => {
    drawBlob(b, M.debris, C.background, 0x2000 + i);
  });

  const scratches = (lines: Line[], cls: number): Float32Array | null => {
    if (lines.length === 0) return null;
    const dark = new Float32Array(N);
    for (const l of lines)
      forLine(S, l, (p, cover, t) => {
        const d = cover * l.depth * (0.85 + 0.15 * Math.sin(t * l.rippleK + l.ripplePhase));
        if (d > dark[p]) dark[p] = d;
        if (cover >= 0.5 && mask[p] !== C.sensorScratch) mask[p] = cls;
      });
    return dark;
  };
  const top = scratches(scene.topScratches, C.topScratch);
  // The sensor's scratches are drawn last: nothing lies in front of them.
  const sensor = scratches(scene.sensorScratches, C.sensorScratch);
  return { size: S, materials: mats, phase, top, sensor, mask };
}
