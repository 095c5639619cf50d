// NumPy .npy files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// "\x93NUMPY", a version, a little-endian header length, a Python-dict header padded with spaces
// to a 64-byte boundary, then the raw C-ordered array bytes.
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import {
  type DType,
  elementSize,
  fromFile,
  mmapFile,
  type Tensor,
  tensor,
  typedArrayFor,
} from "../torch/index.js";
import { describeFsError, fsErrorCode, fsyncDir, WriteError, writeAll, writeAtomic } from "./atomic.js";
import { checkAllocation } from "./limits.js";

export interface NpyHeader {
  /** The dtype of the tensor readNpy returns (uint16 and uint32 data widen to int32 and int64). */
  dtype: DType;
  shape: number[];
  /** Byte offset of the array data from the start of the .npy (the file, or the npz member). */
  dataOffset: number;
  /** NumPy's type string as stored, e.g. '<f4'. */
  descr: string;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;

// Little-endian type codes (the byte-order character stripped) and the tensor dtype holding them.
const KINDS: Record<string, DType> = {
  f4: "float32",
  f8: "float64",
  f2: "float16",
  i8: "int64",
  i4: "int32",
  i2: "int16",
  i1: "int8",
  u1: "uint8",
  b1: "bool",
  u2: "int16", // read as raw bits, then widened to int32
  u4: "int32", // read as raw bits, then widened to int64
};
const DESCR_OF: Partial<Record<DType, string>> = {
  float32: "<f4",
  float64: "<f8",
  float16: "<f2",
  int64: "<i8",
  int32: "<i4",
  int16: "<i2",
  int8: "|i1",
  uint8: "|u1",
  bool: "|b1",
};
const WIDENED = new Set(["u2", "u4"]);

/** The element type code of a header without its byte-order character. */
const kindOf = (h: NpyHeader): string => h.descr.slice(1);

/** The tensor dtype that holds the stored bytes (for uint16/uint32 the same-size signed type). */
const storedDtype = (h: NpyHeader): DType => KINDS[kindOf(h)];

/**
 * Turns a tensor of unsigned 16- or 32-bit values read as int16/int32 bit patterns into int32/int64
 * holding the true values (libtorch builds before 2.3 have no uint16/uint32).
 */
export function widenUnsigned(raw: Tensor): Tensor {
  const wide = raw.to(raw.dtype === "int16" ? "int32" : "int64");
  try {
    return wide.remainder(raw.dtype === "int16" ? 65536 : 4294967296);
  } finally {
    wide.dispose();
  }
}

/** Parses and validates a header through read(pos, len), for a .npy of `total` bytes. */
function parseHeader(read: (pos: number, len: number) => Uint8Array, total: number, name: string): NpyHeader {
  const fail = (why: string): never => {
    throw new Error(`${name}: not a valid .npy file: ${why}`);
  };
  if (total < 10) fail(`${total} bytes is shorter than the 10-byte preamble`);
  const pre = read(0, Math.min(12, total));
  if (!MAGIC.every((b, i) => pre[i] === b)) fail("missing the \\x93NUMPY magic");
  const major = pre[6];
  if (major < 1 || major > 3) fail(`unsupported format version ${major}.${pre[7]}`);
  if (major > 1 && total < 12) fail(`${total} bytes is shorter than the 12-byte preamble`);
  const lenBytes = major === 1 ? 2 : 4;
  const hlen =
    major === 1 ? pre[8] | (pre[9] << 8) : (pre[8] | (pre[9] << 8) | (pre[10] << 16)) + pre[11] * 2 ** 24;
  const start = 8 + lenBytes;
  if (start + hlen > total)
    fail(`the ${hlen}-byte header runs past the end of the ${total} bytes (truncated?)`);
  const text = Buffer.from(read(start, hlen)).toString(major === 3 ? "utf8" : "latin1");

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  if (descr === undefined) {
    fail(
      /'descr'\s*:\s*\[/.test(text)
        ? "structured dtypes are not supported"
        : `no 'descr' in header ${text.trim()}`,
    );
  }
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  if (fortran === undefined) fail(`no 'fortran_order' in header ${text.trim()}`);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (shapeText === undefined) fail(`no 'shape' tuple in header ${text.trim()}`);
  const dims = shapeText!
    .split(",")
    .map((s) => s.trim().replace(/L$/, ""))
    .filter((s) => s.length > 0);
  if (!dims.every((d) => /^\d+$/.test(d))) fail(`invalid shape (${shapeText})`);
  const shape = dims.map(Number);

  const order = descr![0];
  const kind = descr!.slice(1);
  if (order === ">" && !kind.endsWith("1")) {
    throw new Error(
      `${name}: big-endian .npy data ('${descr}') is not supported; re-save it little-endian (arr.astype('<${kind}'))`,
    );
  }
  if (!"<|=>".includes(order) || !(kind in KINDS)) {
    throw new Error(
      `${name}: unsupported .npy dtype '${descr}' (supported: ${Object.keys(KINDS).join(" ")}, little-endian)`,
    );
  }
  if (fortran === "True") {
    throw new Error(
      `${name}: Fortran-ordered .npy arrays are not supported; re-save with np.ascontiguousarray(arr)`,
    );
  }
  const h: NpyHeader = { dtype: "float32", shape, dataOffset: start + hlen, descr: `<${kind}` };
  h.dtype = WIDENED.has(kind) ? (kind === "u2" ? "int32" : "int64") : storedDtype(h);
  const nbytes = shape.reduce((a, b) => a * b, 1) * elementSize(storedDtype(h));
  const have = total - h.dataOffset;
  if (nbytes > have) {
    throw new Error(
      `${name}: truncated .npy file: shape [${shape}] of '${descr}' needs ${nbytes} data bytes after the ` +
        `${h.dataOffset}-byte header, but only ${have} are there`,
    );
  }
  if (nbytes < have) {
    throw new Error(
      `${name}: not a valid .npy file: shape [${shape}] of '${descr}' needs ${nbytes} data bytes after the ` +
        `${h.dataOffset}-byte header, but ${have} are there (${have - nbytes} bytes more); ` +
        "the header does not describe the data (wrong shape or dtype?)",
    );
  }
  return h;
}

function readAt(fd: number, offset: number) {
  return (pos: number, len: number): Uint8Array => {
    const b = Buffer.alloc(len);
    readSync(fd, b, 0, len, offset + pos);
    return b;
  };
}

/** The header of the .npy that occupies `length` bytes of file `path` from `offset` (npz members). */
export function readNpyHeaderAt(path: string, offset: number, length: number, name = path): NpyHeader {
  const fd = openSync(path, "r");
  try {
    return parseHeader(readAt(fd, offset), length, name);
  } finally {
    closeSync(fd);
  }
}

/** Reads and validates a .npy header; every problem names the file. */
export function readNpyHeader(path: string): NpyHeader {
  const fd = openSync(path, "r");
  try {
    return parseHeader(readAt(fd, 0), fstatSync(fd).size, path);
  } finally {
    closeSync(fd);
  }
}

const fstatSizeOf = (path: string): number => statSync(path).size;

const finish = (raw: Tensor, h: NpyHeader): Tensor => {
  if (!WIDENED.has(kindOf(h))) return raw;
  try {
    return widenUnsigned(raw);
  } finally {
    raw.dispose();
  }
};

/** Reads the .npy stored in `length` bytes of `path` from `offset`, straight into a tensor. */
export function readNpyAt(path: string, offset: number, length: number, name = path): Tensor {
  const h = readNpyHeaderAt(path, offset, length, name);
  checkAllocation(
    name,
    `an array of shape [${h.shape}]`,
    length - h.dataOffset,
    WIDENED.has(kindOf(h)) ? 3 : 1,
  );
  return finish(fromFile(path, offset + h.dataOffset, h.shape, storedDtype(h)), h);
}

/** Reads a whole .npy file into a CPU tensor (one copy, straight from the file). */
export function readNpy(path: string): Tensor {
  const h = readNpyHeader(path);
  const bytes = fstatSizeOf(path) - h.dataOffset;
  checkAllocation(path, `an array of shape [${h.shape}]`, bytes, WIDENED.has(kindOf(h)) ? 3 : 1);
  return finish(fromFile(path, h.dataOffset, h.shape, storedDtype(h)), h);
}

/**
 * A tensor over the memory-mapped file: pages load when touched, so files larger than RAM work.
 * The mapping is copy-on-write: writing into the tensor never changes the file.
 */
export function mmapNpy(path: string): Tensor {
  const h = readNpyHeader(path);
  if (WIDENED.has(kindOf(h))) {
    throw new Error(
      `${path}: '${h.descr}' data cannot be memory-mapped (no unsigned tensor dtype); use readNpy`,
    );
  }
  if (h.dataOffset % elementSize(h.dtype) !== 0) {
    throw new Error(`${path}: data offset ${h.dataOffset} is not aligned to the element size; use readNpy`);
  }
  return mmapFile(path, h.dataOffset, h.shape, h.dtype);
}

/** Parses and validates the header of an in-memory .npy, without touching its data (no tensors). */
export function parseNpyHeader(bytes: Uint8Array, name: string): NpyHeader {
  return parseHeader((pos, len) => bytes.subarray(pos, pos + len), bytes.length, name);
}

/** Parses an in-memory .npy (an npz member); `name` is used in error messages. */
export function parseNpy(bytes: Uint8Array, name: string): Tensor {
  const h = parseHeader((pos, len) => bytes.subarray(pos, pos + len), bytes.length, name);
  const dt = storedDtype(h);
  const nbytes = h.shape.reduce((a, b) => a * b, 1) * elementSize(dt);
  const buf = new ArrayBuffer(nbytes); // a fresh buffer: the data may sit unaligned in `bytes`
  new Uint8Array(buf).set(bytes.subarray(h.dataOffset, h.dataOffset + nbytes));
  return finish(tensor(typedArrayFor(dt, buf), h.shape, dt), h);
}

/** The header bytes numpy writes for this dtype and shape: data starts 64-byte aligned. */
export function npyHeader(dtype: DType, shape: number[], name = "<tensor>"): Buffer {
  const descr = DESCR_OF[dtype];
  if (!descr) throw new Error(`${name}: ${dtype} has no .npy equivalent; convert it to float32 first`);
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  const major = dict.length + 11 + ALIGN > 65535 ? 2 : 1;
  const pre = major === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / ALIGN) * ALIGN;
  const out = Buffer.alloc(total, 0x20);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  if (major === 1) out.writeUInt16LE(total - pre, 8);
  else out.writeUInt32LE(total - pre, 8);
  out.write(dict, pre, "latin1");
  out[total - 1] = 0x0a;
  return out;
}

const CHUNK_BYTES = 64 * 1024 * 1024;

/** Writes the tensor's bytes in row-major order, a bounded slab of the leading dimension at a time. */
function writeData(fd: number, t: Tensor): void {
  if (t.numel === 0) return;
  if (t.ndim === 0) {
    writeAll(fd, new Uint8Array(t.toTypedArray().buffer));
    return;
  }
  const rowBytes = (t.numel / t.shape[0]) * elementSize(t.dtype);
  const step = Math.max(1, Math.floor(CHUNK_BYTES / Math.max(1, rowBytes)));
  for (let i = 0; i < t.shape[0]; i += step) {
    const part = t.narrow(0, i, Math.min(step, t.shape[0] - i));
    try {
      writeAll(fd, new Uint8Array(part.toTypedArray().buffer));
    } finally {
      part.dispose();
    }
  }
}

/** Encodes a tensor as an in-memory .npy (for npz members). */
export function encodeNpy(t: Tensor): Buffer {
  return Buffer.concat([npyHeader(t.dtype, t.shape), new Uint8Array(t.toTypedArray().buffer)]);
}

/** Writes a tensor (any device) as a .npy file, atomically. */
export function writeNpy(path: string, t: Tensor): void {
  const header = npyHeader(t.dtype, t.shape, path);
  writeAtomic(path, (fd) => {
    writeAll(fd, header);
    writeData(fd, t);
  });
}

/** Writes an array already in memory (row-major bytes of dtype) as a .npy file, atomically, without tensors. */
export function writeNpyArray(path: string, dtype: DType, shape: number[], data: ArrayBufferView): void {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const want = shape.reduce((a, b) => a * b, 1) * elementSize(dtype);
  if (bytes.length !== want)
    throw new Error(
      `${path}: ${bytes.length} bytes for a ${dtype} array of shape [${shape}] (${want} expected)`,
    );
  const header = npyHeader(dtype, shape, path);
  writeAtomic(path, (fd) => {
    writeAll(fd, header);
    writeAll(fd, bytes);
  });
}

/**
 * Streams the rows (leading-dimension slices) of one array into a .npy file, so a dataset builder
 * never holds the whole array. The file appears, complete, only when close() succeeds.
 */
export class NpyWriter {
  readonly path: string;
  readonly dtype: DType;
  readonly shape: number[];
  #tmp: string;
  #fd: number | null;
  #rows = 0;

  constructor(path: string, dtype: DType, shape: number[]) {
    if (shape.length === 0) throw new Error(`${path}: a streamed .npy needs a leading dimension`);
    const header = npyHeader(dtype, shape, path);
    this.path = path;
    this.dtype = dtype;
    this.shape = shape.slice();
    this.#tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
    this.#fd = null;
    try {
      this.#fd = openSync(this.#tmp, "w");
      writeAll(this.#fd, header);
    } catch (e) {
      this.#failed(e);
    }
  }

  /** Drops the partial file and rethrows a file-system error as one naming this file. */
  #failed(e: unknown): never {
    this.abort();
    if (!fsErrorCode(e) || e instanceof WriteError) throw e;
    const code = fsErrorCode(e)!;
    throw new WriteError(this.path, code, `${this.path}: not saved: ${describeFsError(e)}`, { cause: e });
  }

  get rowsWritten(): number {
    return this.#rows;
  }

  /** Appends rows: t is (k, ...shape[1:]) or one row shaped shape[1:]; converted to the file's dtype. */
  write(t: Tensor): void {
    if (this.#fd === null) throw new Error(`${this.path}: write after close`);
    const rest = this.shape.slice(1);
    const single = t.ndim === rest.length;
    const rowShape = single ? t.shape : t.shape.slice(1);
    if (rowShape.length !== rest.length || rowShape.some((d, i) => d !== rest[i])) {
      throw new Error(
        `${this.path}: rows of shape [${rowShape}] do not fit an array of shape [${this.shape}]`,
      );
    }
    const k = single ? 1 : t.shape[0];
    if (this.#rows + k > this.shape[0]) {
      throw new Error(`${this.path}: writing ${k} more rows would exceed the declared ${this.shape[0]}`);
    }
    const data = t.dtype === this.dtype ? t : t.to(this.dtype);
    const rows = single ? data.reshape([1, ...rest]) : data;
    try {
      writeData(this.#fd, rows);
    } catch (e) {
      this.#failed(e);
    } finally {
      if (rows !== data) rows.dispose();
      if (data !== t) data.dispose();
    }
    this.#rows += k;
  }

  /** Checks that every declared row was written, then syncs and renames the file into place. */
  close(): void {
    if (this.#fd === null) return;
    if (this.#rows !== this.shape[0]) {
      this.abort();
      throw new Error(
        `${this.path}: only ${this.#rows} of ${this.shape[0]} rows were written; nothing saved`,
      );
    }
    try {
      fsyncSync(this.#fd);
      closeSync(this.#fd);
      this.#fd = null;
      renameSync(this.#tmp, this.path);
      fsyncDir(dirname(this.path));
    } catch (e) {
      rmSync(this.#tmp, { force: true });
      this.#failed(e);
    }
  }

  /** Drops the partial file. */
  abort(): void {
    if (this.#fd === null) return;
    closeSync(this.#fd);
    this.#fd = null;
    rmSync(this.#tmp, { force: true });
  }
}

/** Starts a streamed .npy of the given dtype and full shape; see NpyWriter. */
export function createNpy(path: string, dtype: DType, shape: number[]): NpyWriter {
  return new NpyWriter(path, dtype, shape);
}
