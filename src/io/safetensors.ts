// safetensors read/write (https://github.com/huggingface/safetensors format): an 8-byte
// little-endian header length, a JSON header, then the raw little-endian tensor bytes.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { type DType, elementSize, fromFile, type Tensor } from "../torch/index.js";
import { writeAll, writeAtomic } from "./atomic.js";

const CODES: Record<string, DType> = {
  F32: "float32",
  F16: "float16",
  BF16: "bfloat16",
  F64: "float64",
  I64: "int64",
  I32: "int32",
  I16: "int16",
  I8: "int8",
  U8: "uint8",
  BOOL: "bool",
};
const CODE_OF = Object.fromEntries(Object.entries(CODES).map(([k, v]) => [v, k])) as Record<DType, string>;
const MAX_HEADER = 100 * 1024 * 1024;

export interface SafetensorsEntry {
  dtype: DType;
  shape: number[];
  offset: number; // absolute byte offset in the file
  nbytes: number;
}

export interface SafetensorsHeader {
  entries: Record<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

/** Reads and validates the header only; every problem names the file. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const fail = (why: string): never => {
      throw new Error(`${path}: not a valid safetensors file: ${why}`);
    };
    if (size < 8) fail(`file is ${size} bytes, shorter than the 8-byte header length`);
    const lenBuf = Buffer.alloc(8);
    readSync(fd, lenBuf, 0, 8, 0);
    const n = Number(lenBuf.readBigUInt64LE(0));
    if (n > MAX_HEADER) fail(`header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
    if (8 + n > size) fail(`header length ${n} runs past the end of the ${size}-byte file`);
    const hb = Buffer.alloc(n);
    readSync(fd, hb, 0, n, 8);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(hb.toString("utf8"));
    } catch (e) {
      return fail(`header is not JSON (${(e as Error).message})`);
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) fail("header is not a JSON object");
    const dataStart = 8 + n;
    const entries: Record<string, SafetensorsEntry> = {};
    let metadata: Record<string, string> = {};
    for (const [name, v] of Object.entries(json)) {
      if (name === "__metadata__") {
        metadata = v as Record<string, string>;
        continue;
      }
      const e = v as { dtype?: string; shape?: number[]; data_offsets?: number[] };
      const dtype = CODES[e.dtype ?? ""];
      if (!dtype) fail(`tensor '${name}' has unsupported dtype '${e.dtype}'`);
      if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
        fail(`tensor '${name}' has an invalid shape`);
      }
      const [b, end] = e.data_offsets ?? [];
      if (!Number.isInteger(b) || !Number.isInteger(end) || b > end)
        fail(`tensor '${name}' has invalid data_offsets`);
      const nbytes = e.shape!.reduce((x, y) => x * y, 1) * elementSize(dtype);
      if (end - b !== nbytes)
        fail(`tensor '${name}' spans ${end - b} bytes but shape [${e.shape}] needs ${nbytes}`);
      if (dataStart + end > size) fail(`tensor '${name}' runs past the end of the file (truncated?)`);
      entries[name] = { dtype, shape: e.shape!, offset: dataStart + b, nbytes };
    }
    return { entries, metadata };
  } finally {
    closeSync(fd);
  }
}

/** Loads every tensor (or the named ones) to CPU, reading each straight into its tensor. */
export function loadSafetensors(path: string, names?: string[]): Record<string, Tensor> {
  const { entries } = readSafetensorsHeader(path);
  const out: Record<string, Tensor> = {};
  for (const name of names ?? Object.keys(entries)) {
    const e = entries[name];
    if (!e) throw new Error(`${path}: no tensor named '${name}'`);
    out[name] = fromFile(path, e.offset, e.shape, e.dtype);
  }
  return out;
}

/** Writes tensors (any device; copied to host one at a time) atomically. */
export function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): void {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let off = 0;
  for (const name of names) {
    const t = tensors[name];
    const nbytes = t.numel * elementSize(t.dtype);
    header[name] = { dtype: CODE_OF[t.dtype], shape: t.shape, data_offsets: [off, off + nbytes] };
    off += nbytes;
  }
  let hjson = JSON.stringify(header);
  hjson += " ".repeat((8 - (Buffer.byteLength(hjson) % 8)) % 8);
  const hbuf = Buffer.from(hjson, "utf8");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hbuf.length));
  writeAtomic(path, (fd) => {
    writeAll(fd, len);
    writeAll(fd, hbuf);
    for (const name of names) {
      const a = tensors[name].toTypedArray();
      writeAll(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    }
  });
}
