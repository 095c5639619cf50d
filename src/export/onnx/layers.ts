// Per-module ONNX emitters for hemoseg's nn layers: each appends the nodes computing the layer's
// forward (as src/torch/nn/layers.ts defines it) and returns the output value's name. Weights
// become initializers named by their state-dict keys.
import { type nn, noGrad, type Tensor } from "../../torch/index.js";
import { OnnxGraph } from "./graph.js";

type Pair = number | [number, number];
const pair = (v: Pair | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === "number" ? [v, v] : v;

/** A graph being emitted from one model: the graph, plus the state-dict name of every tensor. */
export class Emitter extends OnnxGraph {
  readonly #keys = new Map<Tensor, string>();

  constructor(root: nn.Module) {
    super();
    for (const [k, t] of [...root.namedParameters(), ...root.namedBuffers()]) this.#keys.set(t, k);
  }

  /** The state-dict key of one of the model's tensors (or hint for a derived one). */
  keyOf(t: Tensor, hint = "tensor"): string {
    return this.#keys.get(t) ?? hint;
  }

  /** A float32 initializer holding t's values (moved to the CPU; t itself untouched). */
  tensor(t: Tensor, name = this.keyOf(t)): string {
    const data = noGrad(() => {
      const c = t.detach().to("cpu").float().contiguous();
      try {
        return c.toFloat32Array();
      } finally {
        c.dispose();
      }
    });
    return this.float(name, data, t.shape);
  }

  /** An initializer computed from model tensors (e.g. a transposed weight), named from `name`. */
  derived(name: string, make: () => Tensor): string {
    const t = noGrad(make);
    try {
      return this.tensor(t, name);
    } finally {
      t.dispose();
    }
  }
}

/** nn.Linear on (..., in): MatMul with the transposed weight, plus the bias. */
export function linear(e: Emitter, m: nn.Linear, x: string): string {
  const key = e.keyOf(m.weight, "linear.weight");
  const wT = e.derived(`${key}_T`, () => m.weight.transpose(0, 1).contiguous());
  const y = e.op("MatMul", [x, wT]);
  return m.bias ? e.op("Add", [y, e.tensor(m.bias)]) : y;
}

/** nn.Conv2d (NCHW): Conv with the layer's stride, padding, dilation and groups. */
export function conv2d(e: Emitter, m: nn.Conv2d, x: string): string {
  const [kh, kw] = m.weight.shape.slice(2);
  const [ph, pw] = pair(m.opts.padding, 0);
  const inputs = [x, e.tensor(m.weight)];
  if (m.bias) inputs.push(e.tensor(m.bias));
  return e.op("Conv", inputs, {
    kernel_shape: { ints: [kh, kw] },
    strides: { ints: pair(m.opts.stride, 1) },
    pads: { ints: [ph, pw, ph, pw] },
    dilations: { ints: pair(m.opts.dilation, 1) },
    group: { i: m.opts.groups ?? 1 },
  });
}

/** nn.ConvTranspose2d: ConvTranspose with the same weight layout (in, out/groups, kh, kw). */
export function convTranspose2d(e: Emitter, m: nn.ConvTranspose2d, x: string): string {
  const [kh, kw] = m.weight.shape.slice(2);
  const [ph, pw] = pair(m.opts.padding, 0);
  const inputs = [x, e.tensor(m.weight)];
  if (m.bias) inputs.push(e.tensor(m.bias));
  return e.op("ConvTranspose", inputs, {
    kernel_shape: { ints: [kh, kw] },
    strides: { ints: pair(m.opts.stride, 1) },
    pads: { ints: [ph, pw, ph, pw] },
    dilations: { ints: pair(m.opts.dilation, 1) },
    output_padding: { ints: pair(m.opts.outputPadding, 0) },
    group: { i: m.opts.groups ?? 1 },
  });
}

/** nn.LayerNorm over the last dimension: LayerNormalization (opset 17). */
export function layerNorm(e: Emitter, m: nn.LayerNorm, x: string): string {
  if (m.shape.length !== 1)
    throw new Error(`ONNX export: LayerNorm over [${m.shape}] (only the last dim is supported)`);
  const d = m.shape[0];
  const scale = m.weight ? e.tensor(m.weight) : e.scalar(1, d);
  const bias = m.bias ? e.tensor(m.bias) : e.scalar(0, d);
  return e.op("LayerNormalization", [x, scale, bias], { axis: { i: -1 }, epsilon: { f: m.eps } });
}

/** nn.InstanceNorm2d (no running stats): InstanceNormalization, ones/zeros when not affine. */
export function instanceNorm(e: Emitter, m: nn.InstanceNorm2d, x: string, channels: number): string {
  const scale = m.weight ? e.tensor(m.weight) : e.scalar(1, channels);
  const bias = m.bias ? e.tensor(m.bias) : e.scalar(0, channels);
  return e.op("InstanceNormalization", [x, scale, bias], { epsilon: { f: m.opts.eps ?? 1e-5 } });
}

export function leakyRelu(e: Emitter, m: nn.LeakyReLU, x: string): string {
  return e.op("LeakyRelu", [x], { alpha: { f: m.slope } });
}

/**
 * The activations ViT configs name (HF's ACT2FN): exact GELU as x·½(1 + erf(x/√2)) (onnxruntime
 * fuses it back into one Gelu kernel), the tanh form, or ReLU.
 */
export function activation(e: Emitter, name: string, x: string): string {
  if (name === "relu") return e.op("Relu", [x]);
  if (name === "gelu") {
    const erf = e.op("Erf", [e.op("Mul", [x, e.scalar(Math.SQRT1_2)])]);
    return e.op("Mul", [e.op("Mul", [x, e.scalar(0.5)]), e.op("Add", [erf, e.scalar(1)])]);
  }
  if (name === "gelu_pytorch_tanh" || name === "gelu_new") {
    // ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
    const x3 = e.op("Mul", [e.op("Mul", [x, x]), x]);
    const inner = e.op("Add", [x, e.op("Mul", [x3, e.scalar(0.044715)])]);
    const t = e.op("Tanh", [e.op("Mul", [inner, e.scalar(Math.sqrt(2 / Math.PI))])]);
    return e.op("Mul", [e.op("Mul", [x, e.scalar(0.5)]), e.op("Add", [t, e.scalar(1)])]);
  }
  throw new Error(`ONNX export: unsupported hidden_act '${name}'`);
}
