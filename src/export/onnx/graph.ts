// A small ONNX graph builder: named values, nodes with typed attributes, float32/int64
// initializers stored as raw little-endian bytes, graph inputs/outputs with symbolic dimensions;
// serialised as a ModelProto with onnx-proto (protobufjs). Opset 17 (LayerNormalization is native).
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** The default-domain opset the emitters target. */
export const OPSET = 17;
/** ONNX IR version 8 (onnx 1.10+), the lowest that carries opset 17 models. */
export const IR_VERSION = 8;

/** An attribute value, tagged with its ONNX type. */
export type Attr = { f: number } | { i: number } | { ints: number[] } | { floats: number[] } | { s: string };

/** A dimension: a size, or a name for a dynamic one (dim_param). */
export type Dim = number | string;

const { AttributeType } = onnx.AttributeProto;
const { DataType } = onnx.TensorProto;

function attrProto(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  if ("f" in a) return { name, type: AttributeType.FLOAT, f: a.f };
  if ("i" in a) return { name, type: AttributeType.INT, i: a.i };
  if ("ints" in a) return { name, type: AttributeType.INTS, ints: a.ints };
  if ("floats" in a) return { name, type: AttributeType.FLOATS, floats: a.floats };
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.s) };
}

function valueInfo(name: string, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

const bytesOf = (a: Float32Array | BigInt64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export interface ModelInfo {
  /** Graph name. */
  name: string;
  /** Key/value pairs stored as the model's metadata_props. */
  metadata: Record<string, string>;
  docString?: string;
  producerVersion?: string;
}

/** Builds one graph; every emitter appends nodes and returns the name of the value it produced. */
export class OnnxGraph {
  readonly #nodes: onnxProto.onnx.INodeProto[] = [];
  readonly #initializers: onnxProto.onnx.ITensorProto[] = [];
  readonly #inputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly #outputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly #names = new Set<string>();
  readonly #consts = new Map<string, string>();

  /** A value name not used yet, derived from hint. */
  fresh(hint: string): string {
    let name = hint;
    for (let i = 1; this.#names.has(name); i++) name = `${hint}_${i}`;
    this.#names.add(name);
    return name;
  }

  /** A float32 graph input. */
  input(name: string, dims: Dim[]): string {
    if (this.#names.has(name)) throw new Error(`ONNX graph: value name '${name}' is taken`);
    this.#names.add(name);
    this.#inputs.push(valueInfo(name, dims));
    return name;
  }

  /** Declares value as the float32 graph output `name` (through an Identity when the names differ). */
  output(value: string, name: string, dims: Dim[]): void {
    const out = value === name ? value : this.op("Identity", [value], {}, name);
    if (out !== name) throw new Error(`ONNX graph: output name '${name}' is taken`);
    this.#outputs.push(valueInfo(name, dims));
  }

  /** A float32 initializer (weights); returns its (unique) name. */
  float(hint: string, data: Float32Array, dims: number[]): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== data.length)
      throw new Error(`ONNX initializer ${hint}: ${data.length} values for shape [${dims}]`);
    const name = this.fresh(hint);
    this.#initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: bytesOf(data) });
    return name;
  }

  /** An int64 initializer (shapes, axes), shared between nodes that ask for the same values. */
  int64(values: number[], dims: number[] = [values.length]): string {
    const key = `i64:${dims}:${values}`;
    const had = this.#consts.get(key);
    if (had) return had;
    const name = this.fresh(`const_i64_${values.join("_").replace(/-/g, "m")}`);
    this.#initializers.push({
      name,
      dims,
      dataType: DataType.INT64,
      rawData: bytesOf(BigInt64Array.from(values, (v) => BigInt(v))),
    });
    this.#consts.set(key, name);
    return name;
  }

  /** A float32 scalar (or filled vector) constant, shared like int64. */
  scalar(value: number, length?: number): string {
    const key = `f32:${length ?? "scalar"}:${value}`;
    const had = this.#consts.get(key);
    if (had) return had;
    const dims = length === undefined ? [] : [length];
    const name = this.float(
      `const_f32_${String(value).replace(/[-.]/g, "_")}`,
      new Float32Array(length ?? 1).fill(value),
      dims,
    );
    this.#consts.set(key, name);
    return name;
  }

  /** Appends one node with a single output; returns the output's name. */
  op(type: string, inputs: string[], attrs: Record<string, Attr> = {}, hint?: string): string {
    const output = this.fresh(hint ?? type.toLowerCase());
    this.#nodes.push({
      opType: type,
      name: `${type}_${this.#nodes.length}`,
      input: inputs,
      output: [output],
      attribute: Object.entries(attrs).map(([k, v]) => attrProto(k, v)),
    });
    return output;
  }

  get nodeCount(): number {
    return this.#nodes.length;
  }

  /** Serialises the graph as an ONNX model (ModelProto bytes). */
  toModel(info: ModelInfo): Uint8Array {
    if (this.#outputs.length === 0) throw new Error("ONNX graph: no outputs declared");
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: "", version: OPSET }],
      producerName: "hemoseg",
      producerVersion: info.producerVersion ?? "",
      docString: info.docString ?? "",
      graph: {
        name: info.name,
        node: this.#nodes,
        initializer: this.#initializers,
        input: this.#inputs,
        output: this.#outputs,
      },
      metadataProps: Object.entries(info.metadata).map(([key, value]) => ({ key, value })),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
