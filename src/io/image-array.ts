// One image stack as (C, H, W) float32 in a plain Float32Array, without tensors: the reader of
// the libtorch-free paths (hemoseg predict --engine onnx). Same files, same rules and the same
// errors as readImageStack: .npy/.npz arrays of (H, W) or (C, H, W), TIFF pages times samples,
// PNG channels (palette expanded to RGB, alpha dropped); values converted to float32.
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { IMAGE_EXTENSIONS } from "./image-file.js";
import { checkAllocation } from "./limits.js";
import { parseNpyHeader } from "./npy.js";
import { decodePng } from "./png.js";
import { readTiffSamples } from "./tiff.js";
import { listZip, readZipEntry } from "./zip.js";

export interface ImageArray {
  data: Float32Array;
  shape: [number, number, number];
}

/** IEEE half -> float. */
function halfToFloat(h: number): number {
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  const v =
    e === 0
      ? m * 2 ** -24
      : e === 31
        ? m
          ? Number.NaN
          : Number.POSITIVE_INFINITY
        : (1 + m / 1024) * 2 ** (e - 15);
  return h & 0x8000 ? -v : v;
}

/** Little-endian samples of a NumPy-style kind (f4 u2 i8 b1 ...) as float32. */
export function samplesToFloat32(bytes: Uint8Array, kind: string, n: number, name: string): Float32Array {
  const size = Number(kind.slice(1));
  if (bytes.length < n * size)
    throw new Error(`${name}: ${bytes.length} data bytes for ${n} samples of '${kind}'`);
  const copy = new Uint8Array(n * size); // a fresh, aligned copy (Buffer.slice would share memory)
  copy.set(bytes.subarray(0, n * size));
  const buf = copy.buffer;
  switch (kind) {
    case "f4":
      return new Float32Array(buf);
    case "f8":
      return Float32Array.from(new Float64Array(buf));
    case "f2":
      return Float32Array.from(new Uint16Array(buf), halfToFloat);
    case "u1":
    case "b1":
      return Float32Array.from(new Uint8Array(buf));
    case "i1":
      return Float32Array.from(new Int8Array(buf));
    case "u2":
      return Float32Array.from(new Uint16Array(buf));
    case "i2":
      return Float32Array.from(new Int16Array(buf));
    case "u4":
      return Float32Array.from(new Uint32Array(buf));
    case "i4":
      return Float32Array.from(new Int32Array(buf));
    case "i8":
      return Float32Array.from(new BigInt64Array(buf), Number);
    default:
      throw new Error(`${name}: unsupported sample type '${kind}'`);
  }
}

/** (H, W) -> (1, H, W); (C, H, W) as is; anything else refused naming the file. */
function asStack(shape: number[], path: string): [number, number, number] {
  if (shape.length === 3) return shape as [number, number, number];
  if (shape.length === 2) return [1, shape[0], shape[1]];
  throw new Error(`${path}: an image must be (H, W) or (C, H, W), got shape [${shape}]`);
}

function npyArray(bytes: Uint8Array, path: string): ImageArray {
  const h = parseNpyHeader(bytes, path);
  const shape = asStack(h.shape, path);
  const n = shape[0] * shape[1] * shape[2];
  checkAllocation(path, `an array of shape [${h.shape}] as float32`, n * 4, 2);
  return { data: samplesToFloat32(bytes.subarray(h.dataOffset), h.descr.slice(1), n, path), shape };
}

function npzArray(path: string): ImageArray {
  const members = listZip(path).filter((e) => e.name.endsWith(".npy"));
  const names = members.map((e) => e.name.slice(0, -4));
  const pick = names.length === 1 ? names[0] : ["image", "arr_0"].find((p) => names.includes(p));
  if (pick === undefined) {
    const which = names.length ? `arrays ${names.join(", ")}` : "no arrays";
    throw new Error(`${path}: holds ${which}; expected a single array or one named image or arr_0`);
  }
  const entry = members[names.indexOf(pick)];
  return npyArray(readZipEntry(path, entry), `${path}:${entry.name}`);
}

function pngArray(path: string): ImageArray {
  const img = decodePng(readFileSync(path), path);
  const { width: W, height: H, channels: C, data, palette } = img;
  const plane = H * W;
  if (palette) {
    const out = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) {
      const k = data[i] * 3;
      if (k + 3 > palette.length)
        throw new Error(`${path}: pixel ${i} uses palette entry ${k / 3} of ${palette.length / 3}`);
      for (let c = 0; c < 3; c++) out[c * plane + i] = palette[k + c];
    }
    return { data: out, shape: [3, H, W] };
  }
  const keep = C === 2 || C === 4 ? C - 1 : C;
  const out = new Float32Array(keep * plane);
  for (let c = 0; c < keep; c++) for (let i = 0; i < plane; i++) out[c * plane + i] = data[i * C + c];
  return { data: out, shape: [keep, H, W] };
}

/** Reads one image stack as (C, H, W) float32; every problem names the file. */
export function readImageArray(path: string): ImageArray {
  switch (extname(path).toLowerCase()) {
    case ".npy":
      return npyArray(readFileSync(path), path);
    case ".npz":
      return npzArray(path);
    case ".tif":
    case ".tiff": {
      const t = readTiffSamples(path);
      const n = t.shape[0] * t.shape[1] * t.shape[2];
      return { data: samplesToFloat32(t.bytes, t.kind, n, path), shape: t.shape };
    }
    case ".png":
      return pngArray(path);
    default:
      throw new Error(
        `${path}: unsupported file type '${extname(path)}' (supported: ${IMAGE_EXTENSIONS.join(", ")})`,
      );
  }
}
