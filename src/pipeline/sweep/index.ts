// Experiment grids (the seed paper's Tables 4-6 and §5.1): a sweep spec names the data, base
// pre-training and fine-tuning options, a grid of axes and a per-run budget; every point of the
// grid's cartesian product is pre-trained (shared between points with equal pre-training options),
// fine-tuned and evaluated on the test split, each into its own run directory so a sweep resumes
// where it stopped and finished points are read back, never retrained.
export * from "./parallel.js";
export * from "./plan.js";
export * from "./presets.js";
export * from "./results.js";
export * from "./run.js";
export * from "./spec.js";
export * from "./status.js";
