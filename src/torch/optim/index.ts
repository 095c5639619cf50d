export * from "./adam.js";
export * from "./schedule.js";
