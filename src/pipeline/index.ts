export * from "./bench-mae.js";
export * from "./demo.js";
export * from "./evaluate-run.js";
export * from "./predict-files.js";
export * from "./reconstruct-run.js";
export * from "./sweep/index.js";
