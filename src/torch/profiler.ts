// libtorch's op profiler (the one behind torch.profiler, native/ops_profile.cpp): which ATen ops
// ran between start and stop, how often, and their self time (own time, nested ops excluded).
import { N } from "./native.js";

/** One op's aggregate over a profiled span. */
export interface OpStat {
  /** The op's RecordFunction name: "aten::addmm", "autograd::engine::evaluate_function: ...". */
  name: string;
  calls: number;
  /** Milliseconds inside the op, nested ops included. */
  totalMs: number;
  /** Milliseconds in the op itself, its nested ops excluded; these add up without double counting. */
  selfMs: number;
}

/** Starts recording CPU ops (no shapes, memory or stacks); throws if a profiler is already running. */
export function startOpProfile(): void {
  N.profilerStart();
}

/** Stops recording and returns the per-op aggregates, largest self time first. */
export function stopOpProfile(): OpStat[] {
  return N.profilerStop().map((o) => ({
    name: o.name,
    calls: o.calls,
    totalMs: o.totalNs / 1e6,
    selfMs: o.selfNs / 1e6,
  }));
}

/** Runs fn with the op profiler on; its result, the ops it ran, and its wall time in ms. */
export function profileOps<T>(fn: () => T): { result: T; ops: OpStat[]; wallMs: number } {
  startOpProfile();
  const t0 = performance.now();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    stopOpProfile();
    throw e;
  }
  const wallMs = performance.now() - t0;
  return { result, ops: stopOpProfile(), wallMs };
}
