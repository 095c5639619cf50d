// hemoseg's PyTorch-like façade over libtorch.
export * from "./autograd.js";
export * from "./creation.js";
export * from "./dtype.js";
export * as F from "./functional.js";
export { nativeInfo } from "./native.js";
export * as nn from "./nn/index.js";
export { OP_CATEGORIES, type OpCategory, opCategory } from "./op-category.js";
export type { CpuCacheStats } from "./ops.js";
export * as optim from "./optim/index.js";
export { type OpStat, profileOps, startOpProfile, stopOpProfile } from "./profiler.js";
export { dispose, keep, scope } from "./scope.js";
export { type Dims, Tensor } from "./tensor.js";
