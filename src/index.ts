// hemoseg's public entry: the tensor library, file formats, data, models and pipeline pieces.
export * as data from "./data/index.js";
export * as evaluation from "./eval/index.js";
export * as onnx from "./export/onnx/index.js";
export * as io from "./io/index.js";
export * as models from "./models/index.js";
export * as pipeline from "./pipeline/index.js";
export * as synth from "./synth/index.js";
export * as torch from "./torch/index.js";
export { Tensor } from "./torch/index.js";
export * as train from "./train/index.js";
