export * from "./export.js";
export * from "./graph.js";
export * from "./layers.js";
export * from "./metadata.js";
export * from "./models.js";
