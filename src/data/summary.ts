// What an import produced, for people: counts, sizes, classes and the labelled share of each.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { IGNORE_INDEX, openDataset } from "./dataset.js";
import { CLASS_FILE } from "./pool-import.js";

export interface ClassShare {
  name: string;
  /** Labelled pixels of this class, and their share of all pixels. */
  pixels: number;
  fraction: number;
  /** Stacks holding at least one pixel of it. */
  stacks: number;
}

export interface DatasetSummary {
  dir: string;
  kind: string;
  count: number;
  channels: number;
  height: number;
  width: number;
  split: [number, number, number];
  /** Bytes on disk. */
  bytes: number;
  /** Share of all mask pixels that are labelled (not 255). */
  labelled?: number;
  classes: ClassShare[];
  /** Stacks per image-level class (class-folder pools). */
  imageClasses?: { name: string; stacks: number }[];
}

export function summarise(dir: string): DatasetSummary {
  const ds = openDataset(dir);
  try {
    const m = ds.meta;
    const bytes = readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0);
    const s: DatasetSummary = {
      dir,
      kind: m.kind,
      count: m.count,
      channels: m.channels,
      height: m.height,
      width: m.width,
      split: [m.split.train.length, m.split.val.length, m.split.test.length],
      bytes,
      classes: [],
    };
    if (ds.masks) {
      const K = m.classes.length;
      const px = new Float64Array(256);
      const stacks = new Float64Array(256);
      const plane = m.height * m.width;
      const seen = new Uint8Array(256);
      // one stack at a time: the mask array is memory-mapped and may be larger than memory
      for (let i = 0; i < m.count; i++) {
        const t = ds.masks.select(0, i);
        const a = t.toTypedArray() as Uint8Array;
        t.dispose();
        seen.fill(0);
        for (let k = 0; k < plane; k++) {
          px[a[k]]++;
          seen[a[k]] = 1;
        }
        for (let v = 0; v < 256; v++) stacks[v] += seen[v];
      }
      const total = m.count * plane;
      s.labelled = 1 - px[IGNORE_INDEX] / total;
      s.classes = m.classes.slice(0, K).map((name, k) => ({
        name,
        pixels: px[k],
        fraction: px[k] / total,
        stacks: stacks[k],
      }));
    }
    const cf = join(dir, CLASS_FILE);
    if (existsSync(cf)) {
      const c = JSON.parse(readFileSync(cf, "utf8")) as { classes: string[]; stacks: number[] };
      s.imageClasses = c.classes.map((name, k) => ({ name, stacks: c.stacks.filter((v) => v === k).length }));
    }
    return s;
  } finally {
    ds.close();
  }
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
const pct = (f: number) => `${(100 * f).toFixed(f < 0.001 ? 3 : 2)}%`;

/** The summary as lines of text. */
export function formatSummary(s: DatasetSummary, seconds?: number): string[] {
  const lines = [
    `${s.dir}: ${s.kind}, ${s.count} stacks of ${s.channels} x ${s.height} x ${s.width}, split ${s.split.join("/")}, ${mb(s.bytes)}` +
      (seconds !== undefined ? `, imported in ${seconds.toFixed(1)} s` : ""),
  ];
  if (s.labelled !== undefined) {
    lines.push(
      `labelled pixels: ${pct(s.labelled)} of all; per class (share of all pixels, stacks with any):`,
    );
    const w = Math.max(...s.classes.map((c) => c.name.length));
    for (const c of s.classes)
      lines.push(
        `  ${c.name.padEnd(w)}  ${pct(c.fraction).padStart(8)}  ${String(c.pixels).padStart(10)} px  ${c.stacks} stacks`,
      );
  }
  if (s.imageClasses)
    lines.push(`image classes: ${s.imageClasses.map((c) => `${c.name} ${c.stacks}`).join(", ")}`);
  return lines;
}
