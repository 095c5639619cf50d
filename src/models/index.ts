export * from "./encoder-transfer.js";
export * from "./hf-config.js";
export * from "./presets.js";
export * from "./unet.js";
export * from "./unetr.js";
export * from "./unetr-blocks.js";
export * from "./vit.js";
export * from "./vitmae.js";
