// Learning-rate schedules as multipliers of each group's base rate, by optimiser step.

export type Schedule = (step: number) => number;

export const constant = (): Schedule => () => 1;

/** Linear warm-up from 0 over warmupSteps, then cosine decay to minRatio at totalSteps. */
export function warmupCosine(warmupSteps: number, totalSteps: number, minRatio = 0): Schedule {
  return (step) => {
    if (step < warmupSteps) return (step + 1) / warmupSteps;
    const t = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    return minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * t));
  };
}

/** Sets each group's lr to its base rate times the schedule's multiplier at step. */
export function applySchedule(
  groups: { lr: number }[],
  baseLrs: number[],
  schedule: Schedule,
  step: number,
): void {
  const f = schedule(step);
  groups.forEach((g, i) => {
    g.lr = baseLrs[i] * f;
  });
}
