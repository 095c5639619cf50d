// hemoseg's public entry: the tensor library, file formats, models and pipeline pieces.
export * as io from "./io/index.js";
export * as models from "./models/index.js";
export * as torch from "./torch/index.js";
export { Tensor } from "./torch/index.js";
