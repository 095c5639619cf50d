export * from "./confusion.js";
export * from "./evaluate.js";
export * from "./format.js";
export * from "./predict.js";
export * from "./report.js";
export * from "./sliding-window.js";
