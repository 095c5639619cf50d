// Datasets: the dataset directory, import from image files, synthetic and real sets, tile loading.
export * from "./blood-cells.js";
export * from "./dataset.js";
export * from "./import.js";
export * from "./loader.js";
export { SPLITS, type Split, type SplitName, splitIndices, splitSizes } from "./split.js";
export { ChannelStats, stackMoments } from "./stats.js";
export * from "./synth-datasets.js";
export { type TileGrid, type TileRef, tileAt, tileGrid } from "./tiles.js";
