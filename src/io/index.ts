export * from "./atomic.js";
export * from "./safetensors.js";
export * from "./npy.js";
export * from "./npz.js";
export * from "./zip.js";
export * from "./tiff.js";
export * from "./png.js";
export * from "./image-file.js";
