export * from "./checkpoint.js";
export * from "./finetune.js";
export * from "./metrics-log.js";
export * from "./param-groups.js";
export * from "./pretrain.js";
export * from "./run-info.js";
export * from "./trainer.js";
