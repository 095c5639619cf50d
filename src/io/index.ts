export * from "./atomic.js";
export * from "./image-file.js";
export * from "./npy.js";
export * from "./npz.js";
export * from "./png.js";
export * from "./safetensors.js";
export * from "./tiff.js";
export * from "./zip.js";
