// Op-level profiles of a benchmark's timed steps, hemoseg's and PyTorch's side by side: per-op
// self times summed over the steps, grouped by one categoriser (src/torch/op-category.ts), per
// step and as a share of the steps' wall time; what no op accounts for is the host language's
// own time (JS or Python between ops, scope disposal) plus the profiler's gaps.
import { OP_CATEGORIES, type OpCategory, opCategory } from "../torch/op-category.js";
import type { OpStat } from "../torch/profiler.js";

/** Per-op aggregates over some profiled steps and those steps' wall time. */
export interface OpTable {
  steps: number;
  wallMs: number;
  ops: OpStat[];
}

export const OUTSIDE_OPS = "outside ops (JS/Python, gaps)";

export interface OpProfile {
  steps: number;
  wallMsPerStep: number;
  categories: { category: OpCategory | typeof OUTSIDE_OPS; msPerStep: number; share: number }[];
  top: { name: string; category: OpCategory; callsPerStep: number; msPerStep: number; share: number }[];
}

/** Two tables over different steps as one (rounds of the same benchmark). */
export function mergeOpTables(a: OpTable | undefined, b: OpTable): OpTable {
  if (!a) return b;
  const by = new Map<string, OpStat>(a.ops.map((o) => [o.name, { ...o }]));
  for (const o of b.ops) {
    const m = by.get(o.name);
    if (!m) by.set(o.name, { ...o });
    else {
      m.calls += o.calls;
      m.totalMs += o.totalMs;
      m.selfMs += o.selfMs;
    }
  }
  return { steps: a.steps + b.steps, wallMs: a.wallMs + b.wallMs, ops: [...by.values()] };
}

/**
 * The table bench/*.py prints for torch.profiler's key_averages():
 * {steps, wall_s, ops: [[name, calls, self_us, total_us], ...]}. Throws naming what is wrong.
 */
export function opTableFromPython(x: unknown, source: string): OpTable {
  const o = x as { steps?: unknown; wall_s?: unknown; ops?: unknown };
  if (!o || typeof o.steps !== "number" || typeof o.wall_s !== "number" || !Array.isArray(o.ops))
    throw new Error(`${source}: op_profile must be {steps, wall_s, ops: [[name, calls, self_us, total_us]]}`);
  const ops = o.ops.map((r: unknown, i: number) => {
    if (!Array.isArray(r) || typeof r[0] !== "string" || !r.slice(1, 4).every((v) => typeof v === "number"))
      throw new Error(`${source}: op_profile.ops[${i}] is not [name, calls, self_us, total_us]`);
    return { name: r[0], calls: r[1], selfMs: r[2] / 1000, totalMs: r[3] / 1000 };
  });
  return { steps: o.steps, wallMs: o.wall_s * 1000, ops };
}

/** Per step: each category's self time and share of the wall time, and the top ops by self time. */
export function summariseOps(t: OpTable, top = 15): OpProfile {
  if (!(t.steps > 0)) throw new Error("op profile: no profiled steps");
  const per = (ms: number) => ms / t.steps;
  const share = (ms: number) => (t.wallMs > 0 ? ms / t.wallMs : 0);
  const sums = new Map<OpCategory, number>(OP_CATEGORIES.map((c) => [c, 0]));
  let inOps = 0;
  for (const o of t.ops) {
    const c = opCategory(o.name);
    sums.set(c, (sums.get(c) ?? 0) + o.selfMs);
    inOps += o.selfMs;
  }
  const outside = Math.max(0, t.wallMs - inOps);
  const categories: OpProfile["categories"] = [
    ...OP_CATEGORIES.map((c) => ({ category: c, msPerStep: per(sums.get(c)!), share: share(sums.get(c)!) })),
    { category: OUTSIDE_OPS, msPerStep: per(outside), share: share(outside) },
  ];
  const ranked = [...t.ops].sort((a, b) => b.selfMs - a.selfMs).slice(0, top);
  return {
    steps: t.steps,
    wallMsPerStep: per(t.wallMs),
    categories,
    top: ranked.map((o) => ({
      name: o.name,
      category: opCategory(o.name),
      callsPerStep: o.calls / t.steps,
      msPerStep: per(o.selfMs),
      share: share(o.selfMs),
    })),
  };
}

/** Each side's profile from its table. */
export function opProfiles(tables: Record<string, OpTable>): Record<string, OpProfile> {
  return Object.fromEntries(Object.entries(tables).map(([k, t]) => [k, summariseOps(t)]));
}

const ms = (v: number) => v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2);
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

/** Markdown tables: categories across the sides (ms/step and share), then each side's top ops. */
export function formatOpProfiles(sides: Record<string, OpProfile>): string {
  const names = Object.keys(sides);
  const lines = [
    `| category | ${names.map((n) => `${n} ms/step | share`).join(" | ")} |`,
    `|---|${names.map(() => "---:|---:").join("|")}|`,
  ];
  const cats = sides[names[0]].categories.map((c) => c.category);
  for (const c of cats) {
    const cells = names.map((n) => {
      const r = sides[n].categories.find((x) => x.category === c)!;
      return `${ms(r.msPerStep)} | ${pct(r.share)}`;
    });
    lines.push(`| ${c} | ${cells.join(" | ")} |`);
  }
  lines.push(
    `| **step (wall)** | ${names.map((n) => `**${ms(sides[n].wallMsPerStep)}** | 100%`).join(" | ")} |`,
  );
  for (const n of names) {
    lines.push("", `Top ops by self time, ${n} (${sides[n].steps} profiled steps):`, "");
    lines.push("| op | category | calls/step | ms/step | share |", "|---|---|---:|---:|---:|");
    for (const o of sides[n].top)
      lines.push(
        `| ${o.name} | ${o.category} | ${+o.callsPerStep.toFixed(1)} | ${ms(o.msPerStep)} | ${pct(o.share)} |`,
      );
  }
  return lines.join("\n");
}
