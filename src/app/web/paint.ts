// Sparse labels painted with a round brush: each stroke is a polyline in image coordinates, and
// it labels every pixel whose centre lies within the brush radius of the polyline (a capsule per
// segment). Undo restores the pixels a stroke changed. Pure TypeScript; no DOM.
import { UNLABELLED } from "./config.js";

export interface Point {
  x: number;
  y: number;
}

/** Squared distance from (px, py) to the segment a-b. */
function dist2ToSegment(px: number, py: number, a: Point, b: Point): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - a.x) * dx + (py - a.y) * dy) / len2)) : 0;
  const ex = px - (a.x + t * dx);
  const ey = py - (a.y + t * dy);
  return ex * ex + ey * ey;
}

/** The pixels (row-major indices) whose centres lie within `radius` of the segment a-b. */
export function capsulePixels(a: Point, b: Point, radius: number, W: number, H: number): number[] {
  const r2 = radius * radius;
  const x0 = Math.max(0, Math.floor(Math.min(a.x, b.x) - radius));
  const x1 = Math.min(W - 1, Math.ceil(Math.max(a.x, b.x) + radius));
  const y0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - radius));
  const y1 = Math.min(H - 1, Math.ceil(Math.max(a.y, b.y) + radius));
  const out: number[] = [];
  for (let y = y0; y <= y1; y++)
    for (let x = x0; x <= x1; x++) if (dist2ToSegment(x + 0.5, y + 0.5, a, b) <= r2) out.push(y * W + x);
  return out;
}

interface Change {
  index: number;
  before: number;
}

/** The label mask being painted: 255 (unlabelled) or a class index per pixel. */
export class Strokes {
  readonly mask: Uint8Array;
  private readonly undoStack: Change[][] = [];
  private current: { value: number; radius: number; last: Point; changes: Change[] } | null = null;

  constructor(
    readonly W: number,
    readonly H: number,
    private readonly maxUndo = 100,
  ) {
    this.mask = new Uint8Array(W * H).fill(UNLABELLED);
  }

  /** Starts a stroke of class `value` (UNLABELLED erases); returns the pixels it changed. */
  begin(p: Point, value: number, radius: number): number[] {
    this.current = { value, radius, last: p, changes: [] };
    return this.stamp(p, p);
  }

  /** Extends the stroke to p; returns the pixels this changed. */
  extend(p: Point): number[] {
    if (!this.current) return [];
    const changed = this.stamp(this.current.last, p);
    this.current.last = p;
    return changed;
  }

  /** Ends the stroke; it becomes one undo step when it changed anything. */
  end(): void {
    if (this.current && this.current.changes.length > 0) {
      this.undoStack.push(this.current.changes);
      if (this.undoStack.length > this.maxUndo) this.undoStack.shift();
    }
    this.current = null;
  }

  /** Reverts the last stroke; returns the pixels it restored. */
  undo(): number[] {
    this.end();
    const changes = this.undoStack.pop() ?? [];
    for (let i = changes.length - 1; i >= 0; i--) this.mask[changes[i].index] = changes[i].before;
    return changes.map((c) => c.index);
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  /** Labelled pixels per class (index 0..K-1). */
  counts(K: number): number[] {
    const out = new Array<number>(K).fill(0);
    for (const v of this.mask) if (v < K) out[v]++;
    return out;
  }

  private stamp(a: Point, b: Point): number[] {
    const s = this.current!;
    const changed: number[] = [];
    for (const i of capsulePixels(a, b, s.radius, this.W, this.H)) {
      if (this.mask[i] === s.value) continue;
      s.changes.push({ index: i, before: this.mask[i] });
      this.mask[i] = s.value;
      changed.push(i);
    }
    return changed;
  }
}
