// Multi-page TIFF (TIFF 6.0 baseline plus the common extensions microscopy software writes):
// classic and BigTIFF, either byte order, strips or tiles, chunky or planar samples,
// no compression, PackBits, LZW and Deflate, horizontal and floating-point predictors.
import { readFileSync } from "node:fs";
import { inflateSync } from "node:zlib";
import { type DType, type Tensor, tensor, typedArrayFor } from "../torch/index.js";
import { writeAll, writeAtomic } from "./atomic.js";
import { checkImageSize } from "./limits.js";
import { widenUnsigned } from "./npy.js";

const TAG = {
  newSubfileType: 254,
  width: 256,
  height: 257,
  bitsPerSample: 258,
  compression: 259,
  photometric: 262,
  stripOffsets: 273,
  samplesPerPixel: 277,
  rowsPerStrip: 278,
  stripByteCounts: 279,
  planarConfig: 284,
  predictor: 317,
  tileWidth: 322,
  tileLength: 323,
  tileOffsets: 324,
  tileByteCounts: 325,
  sampleFormat: 339,
} as const;
const WANTED = new Set<number>(Object.values(TAG));

// Bytes per value of each TIFF field type (BYTE ASCII SHORT LONG RATIONAL SBYTE UNDEFINED SSHORT
// SLONG SRATIONAL FLOAT DOUBLE, then BigTIFF's LONG8 SLONG8 IFD8).
const TYPE_SIZE: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
  16: 8,
  17: 8,
  18: 8,
};

// (SampleFormat, bits) -> the tensor dtype holding the raw samples; unsigned 16/32 widen afterwards.
const RAW_DTYPE: Record<string, DType> = {
  "1:8": "uint8",
  "2:8": "int8",
  "1:16": "int16",
  "2:16": "int16",
  "1:32": "int32",
  "2:32": "int32",
  "2:64": "int64",
  "3:16": "float16",
  "3:32": "float32",
  "3:64": "float64",
};

interface Page {
  width: number;
  height: number;
  spp: number;
  bits: number;
  format: number;
  compression: number;
  predictor: number;
  planar: number;
  /** Tiles are always whole; a strip is a block as wide as the image and may stop at its last row. */
  tiled: boolean;
  blockW: number;
  blockH: number;
  offsets: number[];
  counts: number[];
}

class Reader {
  readonly le: boolean;
  readonly big: boolean;
  constructor(
    readonly buf: Buffer,
    readonly name: string,
  ) {
    if (buf.length < 8) this.fail(`${buf.length} bytes is shorter than the 8-byte header`);
    const bo = buf.toString("latin1", 0, 2);
    if (bo !== "II" && bo !== "MM") this.fail("missing the II/MM byte-order mark");
    this.le = bo === "II";
    const magic = this.u16(2);
    if (magic !== 42 && magic !== 43)
      this.fail(`magic number ${magic} is neither 42 (TIFF) nor 43 (BigTIFF)`);
    this.big = magic === 43;
  }
  fail(why: string): never {
    throw new Error(`${this.name}: not a readable TIFF file: ${why}`);
  }
  check(pos: number, len: number): void {
    if (pos < 0 || pos + len > this.buf.length)
      this.fail(`data at ${pos}+${len} lies past the end of the file (truncated?)`);
  }
  u16(p: number): number {
    this.check(p, 2);
    return this.le ? this.buf.readUInt16LE(p) : this.buf.readUInt16BE(p);
  }
  u32(p: number): number {
    this.check(p, 4);
    return this.le ? this.buf.readUInt32LE(p) : this.buf.readUInt32BE(p);
  }
  u64(p: number): number {
    this.check(p, 8);
    return Number(this.le ? this.buf.readBigUInt64LE(p) : this.buf.readBigUInt64BE(p));
  }
  offset(p: number): number {
    return this.big ? this.u64(p) : this.u32(p);
  }
  firstIfd(): number {
    return this.big ? this.u64(8) : this.u32(4);
  }

  /** Numeric values of one value of a field type at p. */
  value(type: number, p: number): number {
    const b = this.buf;
    switch (type) {
      case 1:
      case 2:
      case 7:
        return b[p];
      case 6:
        return b.readInt8(p);
      case 3:
        return this.u16(p);
      case 8:
        return this.le ? b.readInt16LE(p) : b.readInt16BE(p);
      case 4:
      case 13:
        return this.u32(p);
      case 9:
        return this.le ? b.readInt32LE(p) : b.readInt32BE(p);
      case 5:
        return this.u32(p) / this.u32(p + 4);
      case 11:
        return this.le ? b.readFloatLE(p) : b.readFloatBE(p);
      case 12:
        return this.le ? b.readDoubleLE(p) : b.readDoubleBE(p);
      default:
        return this.u64(p);
    }
  }

  /** The wanted tags of the IFD at pos, and the offset of the next IFD (0 at the end). */
  ifd(pos: number): { tags: Map<number, number[]>; next: number } {
    const n = this.big ? this.u64(pos) : this.u16(pos);
    const entrySize = this.big ? 20 : 12;
    const first = pos + (this.big ? 8 : 2);
    this.check(first, n * entrySize + (this.big ? 8 : 4));
    const tags = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const e = first + i * entrySize;
      const tag = this.u16(e);
      const type = this.u16(e + 2);
      if (!WANTED.has(tag)) continue;
      const size = TYPE_SIZE[type];
      if (!size) this.fail(`tag ${tag} has unknown field type ${type}`);
      const count = this.big ? this.u64(e + 4) : this.u32(e + 4);
      const field = e + (this.big ? 12 : 8);
      const at = count * size <= (this.big ? 8 : 4) ? field : this.offset(field);
      this.check(at, count * size);
      const vals: number[] = new Array(count);
      for (let k = 0; k < count; k++) vals[k] = this.value(type, at + k * size);
      tags.set(tag, vals);
    }
    return { tags, next: this.offset(first + n * entrySize) };
  }
}

function pageOf(r: Reader, tags: Map<number, number[]>, index: number): Page {
  const one = (tag: number, dflt?: number): number => {
    const v = tags.get(tag)?.[0] ?? dflt;
    if (v === undefined) r.fail(`page ${index} lacks required tag ${tag}`);
    return v!;
  };
  const width = one(TAG.width);
  const height = one(TAG.height);
  const spp = one(TAG.samplesPerPixel, 1);
  const bitsAll = tags.get(TAG.bitsPerSample) ?? [1];
  const formats = tags.get(TAG.sampleFormat) ?? [1];
  if (new Set(bitsAll).size > 1 || new Set(formats).size > 1) {
    r.fail(`page ${index} mixes sample types (BitsPerSample ${bitsAll}, SampleFormat ${formats})`);
  }
  const bits = bitsAll[0];
  const format = formats[0] === 4 ? 1 : formats[0]; // 4 = "undefined": treat as unsigned
  if (!RAW_DTYPE[`${format}:${bits}`]) {
    const kind = ["", "unsigned", "signed", "float"][format] ?? `format-${format}`;
    r.fail(
      `page ${index} has ${bits}-bit ${kind} samples (supported: 8/16/32-bit integers, 16/32/64-bit floats)`,
    );
  }
  const tiled = tags.has(TAG.tileWidth);
  const page: Page = {
    width,
    height,
    spp,
    bits,
    format,
    compression: one(TAG.compression, 1),
    predictor: one(TAG.predictor, 1),
    planar: one(TAG.planarConfig, 1),
    tiled,
    blockW: tiled ? one(TAG.tileWidth) : width,
    blockH: tiled ? one(TAG.tileLength) : Math.max(1, Math.min(height, one(TAG.rowsPerStrip, height))),
    offsets: tags.get(tiled ? TAG.tileOffsets : TAG.stripOffsets) ?? [],
    counts: tags.get(tiled ? TAG.tileByteCounts : TAG.stripByteCounts) ?? [],
  };
  const across = Math.ceil(width / page.blockW);
  if (page.blockW < 1 || page.blockH < 1) r.fail(`page ${index} has empty tiles`);
  const down = Math.ceil(height / page.blockH);
  const blocks = across * down * (page.planar === 2 ? spp : 1);
  if (page.offsets.length !== blocks || page.counts.length !== blocks) {
    r.fail(
      `page ${index} lists ${page.offsets.length} offsets and ${page.counts.length} byte counts, expected ${blocks}`,
    );
  }
  return page;
}

/** TIFF LZW (MSB-first codes of 9-12 bits, "early change"), into exactly `size` bytes. */
function lzwDecode(src: Uint8Array, size: number, fail: (why: string) => never): Uint8Array {
  const out = new Uint8Array(size);
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const length = new Int32Array(4096);
  for (let i = 0; i < 256; i++) {
    suffix[i] = i;
    first[i] = i;
    length[i] = 1;
  }
  let acc = 0; // bit reservoir: its low `have` bits are unread
  let have = 0;
  let ip = 0;
  let width = 9;
  let next = 258;
  let prev = -1;
  let o = 0;
  const read = (): number => {
    while (have < width) {
      if (ip >= src.length) return 257; // a missing end code ends the data
      acc = ((acc << 8) | src[ip++]) & 0xffffff;
      have += 8;
    }
    have -= width;
    return (acc >>> have) & ((1 << width) - 1);
  };
  // writes the string of `code` at o (truncated to the output size) and returns its length
  const emit = (code: number): number => {
    const len = length[code];
    for (let c = code, k = len - 1; k >= 0; k--, c = prefix[c]) if (o + k < size) out[o + k] = suffix[c];
    return len;
  };
  for (;;) {
    let code = read();
    if (code === 257) break;
    if (code === 256) {
      width = 9;
      next = 258;
      code = read();
      if (code === 257) break;
      if (code > 255) fail(`LZW code ${code} right after a clear code`);
      o += emit(code);
      prev = code;
      continue;
    }
    if (prev < 0) fail("LZW data does not start with a clear code");
    if (code < next) {
      const len = emit(code);
      if (next < 4096) {
        prefix[next] = prev;
        suffix[next] = first[code];
        first[next] = first[prev];
        length[next] = length[prev] + 1;
        next++;
      }
      o += len;
    } else if (code === next && next < 4096) {
      prefix[next] = prev;
      suffix[next] = first[prev];
      first[next] = first[prev];
      length[next] = length[prev] + 1;
      next++;
      o += emit(code);
    } else {
      fail(`LZW code ${code} is beyond the table (${next} entries)`);
    }
    prev = code;
    if (next >= (1 << width) - 1 && width < 12) width++;
    if (o >= size) break;
  }
  if (o < size) fail(`LZW data ends after ${o} of ${size} bytes`);
  return out;
}

function packBitsDecode(src: Uint8Array, size: number, fail: (why: string) => never): Uint8Array {
  const out = new Uint8Array(size);
  let i = 0;
  let o = 0;
  while (i < src.length && o < size) {
    const n = (src[i++] << 24) >> 24;
    if (n >= 0) {
      out.set(src.subarray(i, i + n + 1).subarray(0, size - o), o);
      o += n + 1;
      i += n + 1;
    } else if (n !== -128) {
      out.fill(src[i++], o, Math.min(size, o + 1 - n));
      o += 1 - n;
    }
  }
  if (o < size) fail(`PackBits data ends after ${o} of ${size} bytes`);
  return out;
}

/** One decoded block (strip or tile) of `size` bytes, samples in little-endian order. */
function decodeBlock(
  r: Reader,
  p: Page,
  index: number,
  size: number,
  rowSamples: number,
  stride: number,
): Uint8Array {
  const off = p.offsets[index];
  const count = p.counts[index];
  r.check(off, count);
  const src = r.buf.subarray(off, off + count);
  const fail = (why: string): never => r.fail(`block ${index}: ${why}`);
  let data: Uint8Array;
  switch (p.compression) {
    case 1:
      if (count < size) fail(`holds ${count} bytes, expected ${size} (truncated?)`);
      data = new Uint8Array(src.subarray(0, size));
      break;
    case 32773:
      data = packBitsDecode(src, size, fail);
      break;
    case 5:
      data = lzwDecode(src, size, fail);
      break;
    case 8:
    case 32946: {
      let inflated: Buffer;
      try {
        inflated = inflateSync(src, { maxOutputLength: size + 65536 });
      } catch (e) {
        if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
          return fail(`inflates to more than the ${size} bytes expected`);
        return fail(`does not inflate (${(e as Error).message})`);
      }
      if (inflated.length < size) fail(`inflates to ${inflated.length} bytes, expected ${size}`);
      data = new Uint8Array(inflated.subarray(0, size));
      break;
    }
    default:
      return r.fail(`compression ${p.compression} is not supported (none, PackBits, LZW, Deflate)`);
  }
  const bytes = p.bits / 8;
  const rowBytes = rowSamples * bytes;
  if (p.predictor === 3) return undoFloatPredictor(data, rowBytes, bytes, stride);
  if (!r.le && bytes > 1) {
    const b = Buffer.from(data.buffer, data.byteOffset, data.length);
    if (bytes === 2) b.swap16();
    else if (bytes === 4) b.swap32();
    else b.swap64();
  }
  if (p.predictor === 2) undoHorizontalPredictor(data, rowSamples, bytes, stride);
  else if (p.predictor !== 1) r.fail(`predictor ${p.predictor} is not supported`);
  return data;
}

/** Predictor 2: each sample was stored as the difference from the same sample one pixel left. */
function undoHorizontalPredictor(data: Uint8Array, rowSamples: number, bytes: number, stride: number): void {
  const rows = data.length / (rowSamples * bytes);
  if (bytes === 8) {
    const v = new BigUint64Array(data.buffer, data.byteOffset, data.length / 8);
    for (let y = 0; y < rows; y++) {
      for (let i = y * rowSamples + stride; i < (y + 1) * rowSamples; i++)
        v[i] = BigInt.asUintN(64, v[i] + v[i - stride]);
    }
    return;
  }
  const v =
    bytes === 1
      ? data
      : bytes === 2
        ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2)
        : new Uint32Array(data.buffer, data.byteOffset, data.length / 4);
  for (let y = 0; y < rows; y++) {
    for (let i = y * rowSamples + stride; i < (y + 1) * rowSamples; i++) v[i] += v[i - stride];
  }
}

/**
 * Predictor 3 (Adobe floating point): each row's bytes were split into planes, most significant
 * byte first, then differenced byte-wise across the row (distance = samples per pixel).
 */
function undoFloatPredictor(data: Uint8Array, rowBytes: number, bytes: number, stride: number): Uint8Array {
  const out = new Uint8Array(data.length);
  const n = rowBytes / bytes;
  for (let r0 = 0; r0 < data.length; r0 += rowBytes) {
    const row = data.subarray(r0, r0 + rowBytes);
    for (let i = stride; i < rowBytes; i++) row[i] = (row[i] + row[i - stride]) & 0xff;
    for (let k = 0; k < n; k++)
      for (let b = 0; b < bytes; b++) out[r0 + k * bytes + b] = row[(bytes - 1 - b) * n + k];
  }
  return out;
}

/** The page's samples, little-endian, laid out (H, W, spp) if chunky or (spp, H, W) if planar. */
function decodePage(r: Reader, p: Page): Uint8Array {
  const bytes = p.bits / 8;
  const planes = p.planar === 2 ? p.spp : 1;
  const perPixel = p.planar === 2 ? 1 : p.spp;
  const planeRow = p.width * perPixel * bytes;
  const page = new Uint8Array(p.height * planeRow * planes);
  const across = Math.ceil(p.width / p.blockW);
  const down = Math.ceil(p.height / p.blockH);
  const blockRow = p.blockW * perPixel * bytes;
  for (let s = 0; s < planes; s++) {
    for (let by = 0; by < down; by++) {
      for (let bx = 0; bx < across; bx++) {
        const index = (s * down + by) * across + bx;
        const rows = p.tiled ? p.blockH : Math.min(p.blockH, p.height - by * p.blockH);
        const block = decodeBlock(r, p, index, rows * blockRow, p.blockW * perPixel, perPixel);
        const y0 = by * p.blockH;
        const x0 = bx * p.blockW;
        const copyRows = Math.min(rows, p.height - y0);
        const copyBytes = Math.min(p.blockW, p.width - x0) * perPixel * bytes;
        for (let y = 0; y < copyRows; y++) {
          const dst = (s * p.height + y0 + y) * planeRow + x0 * perPixel * bytes;
          page.set(block.subarray(y * blockRow, y * blockRow + copyBytes), dst);
        }
      }
    }
  }
  return page;
}

/** Element-sized unsigned views (8-byte samples as pairs of 32-bit words, to copy bits exactly). */
function words(buf: Uint8Array, bytes: number): { v: Uint8Array | Uint16Array | Uint32Array; w: number } {
  const ab = buf.buffer;
  const o = buf.byteOffset;
  if (bytes === 1) return { v: buf, w: 1 };
  if (bytes === 2) return { v: new Uint16Array(ab, o, buf.length / 2), w: 1 };
  return { v: new Uint32Array(ab, o, buf.length / 4), w: bytes / 4 };
}

/** A TIFF's samples as stored: little-endian bytes of (pages * samplesPerPixel, H, W). */
export interface TiffSamples {
  bytes: Uint8Array;
  shape: [number, number, number];
  /** NumPy-style kind of one sample: u1 u2 u4 i1 i2 i4 i8 f2 f4 f8. */
  kind: string;
}

/** Decodes every full-resolution page of a TIFF (no tensors: the libtorch-free paths use it). */
export function readTiffSamples(path: string): TiffSamples {
  const r = new Reader(readFileSync(path), path);
  const pages: Page[] = [];
  const seen = new Set<number>();
  for (let pos = r.firstIfd(); pos !== 0; ) {
    if (seen.has(pos)) r.fail(`IFD chain loops back to offset ${pos}`);
    seen.add(pos);
    const { tags, next } = r.ifd(pos);
    // reduced-resolution copies (thumbnails, pyramid levels) are not pages of the stack
    if (((tags.get(TAG.newSubfileType)?.[0] ?? 0) & 1) === 0) pages.push(pageOf(r, tags, seen.size - 1));
    pos = next;
  }
  if (pages.length === 0) r.fail("no image pages");
  const p0 = pages[0];
  pages.forEach((p, i) => {
    if (
      p.width !== p0.width ||
      p.height !== p0.height ||
      p.spp !== p0.spp ||
      p.bits !== p0.bits ||
      p.format !== p0.format
    ) {
      r.fail(
        `page ${i} is ${p.width}x${p.height}x${p.spp} of ${p.bits}-bit format ${p.format}, page 0 is ` +
          `${p0.width}x${p0.height}x${p0.spp} of ${p0.bits}-bit format ${p0.format}; all pages must match`,
      );
    }
    if (p.predictor === 3 && p.format !== 3)
      r.fail(`page ${i} uses the floating-point predictor on integer samples`);
  });
  const { width: W, height: H, spp, bits } = p0;
  const bytes = bits / 8;
  // Declared sizes are checked before anything is decoded or allocated (decompression bombs).
  checkImageSize(path, { width: W, height: H, planes: pages.length * spp, bytesPerSample: bytes });
  pages.forEach((p, i) => {
    const where = `${path} (page ${i}, one ${p.tiled ? "tile" : "strip"})`;
    const size = {
      width: p.blockW,
      height: p.blockH,
      planes: p.planar === 2 ? 1 : p.spp,
      bytesPerSample: bytes,
    };
    checkImageSize(where, size);
  });
  const plane = H * W;
  const out = new Uint8Array(pages.length * spp * plane * bytes);
  const dst = words(out, bytes);
  pages.forEach((p, i) => {
    const page = decodePage(r, p);
    const base = i * spp * plane * bytes;
    if (p.planar === 2 || spp === 1) {
      out.set(page, base);
      return;
    }
    const src = words(page, bytes);
    const w = src.w;
    const b = i * spp * plane * w; // the page's first word in out
    for (let s = 0; s < spp; s++) {
      for (let k = 0; k < plane; k++) {
        for (let j = 0; j < w; j++) dst.v[b + (s * plane + k) * w + j] = src.v[(k * spp + s) * w + j];
      }
    }
  });
  const kind = `${"?uif"[p0.format]}${bytes}`;
  return { bytes: out, shape: [pages.length * spp, H, W], kind };
}

/**
 * Reads every full-resolution page of a TIFF into one tensor (pages * samplesPerPixel, H, W), in
 * the stored type: uint8, int8, int16, int32, int64, float16/32/64; unsigned 16- and 32-bit samples
 * come back as int32 and int64. Photometric interpretation is not applied (raw sample values).
 */
export function readTiff(path: string): Tensor {
  const { bytes: out, shape, kind } = readTiffSamples(path);
  const raw = RAW_DTYPE[`${"?uif".indexOf(kind[0])}:${Number(kind.slice(1)) * 8}`];
  const t = tensor(typedArrayFor(raw, out.buffer as ArrayBuffer), shape, raw);
  if (kind[0] !== "u" || kind === "u1") return t;
  try {
    return widenUnsigned(t);
  } finally {
    t.dispose();
  }
}

/**
 * Writes a (C, H, W) or (H, W) tensor as an uncompressed little-endian TIFF, one page per channel:
 * uint8 as 8-bit, int32 as unsigned 16-bit (values must lie in 0..65535), float32 as 32-bit float.
 * `description` becomes the first page's ImageDescription (e.g. OME-XML).
 */
export function writeTiff(path: string, t: Tensor, o: { description?: string } = {}): void {
  if (t.ndim !== 2 && t.ndim !== 3)
    throw new Error(`${path}: writeTiff takes (C, H, W) or (H, W), got [${t.shape}]`);
  const [C, H, W] = t.ndim === 3 ? t.shape : [1, ...t.shape];
  const kind = { uint8: [8, 1], int32: [16, 1], float32: [32, 3] }[t.dtype as string];
  if (!kind)
    throw new Error(`${path}: writeTiff supports uint8, int32 (as uint16) and float32, not ${t.dtype}`);
  const [bits, format] = kind;
  let values = t.toTypedArray() as Uint8Array | Int32Array | Float32Array | Uint16Array;
  if (values instanceof Int32Array) {
    let lo = 0;
    let hi = 0;
    for (const v of values) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    if (lo < 0 || hi > 65535)
      throw new Error(`${path}: int32 values ${lo}..${hi} do not fit unsigned 16-bit TIFF samples`);
    values = Uint16Array.from(values);
  }
  const pageBytes = H * W * (bits / 8);
  // NUL-terminated, at least 5 bytes so that it always lies at an offset, never inline
  const desc =
    o.description === undefined ? undefined : Buffer.from(`${o.description}\0`.padEnd(5, "\0"), "utf8");
  const nTags = desc ? 13 : 12; // room for ImageDescription on every IFD; only page 0 uses it
  const ifdBytes = 2 + nTags * 12 + 4;
  const span = pageBytes + (pageBytes % 2) + ifdBytes; // data, a pad byte to keep IFDs word-aligned, IFD
  const descAt = 8 + C * span;
  if (descAt + (desc?.length ?? 0) > 0xffffffff)
    throw new Error(`${path}: ${C} pages of ${pageBytes} bytes exceed the 4 GB TIFF limit`);
  const all = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  writeAtomic(path, (fd) => {
    const put = (b: Uint8Array): void => {
      writeAll(fd, b);
    };
    const head = Buffer.alloc(8);
    head.write("II", 0, "latin1");
    head.writeUInt16LE(42, 2);
    head.writeUInt32LE(8 + pageBytes + (pageBytes % 2), 4);
    put(head);
    for (let c = 0; c < C; c++) {
      const dataAt = 8 + c * span;
      const ifdAt = dataAt + pageBytes + (pageBytes % 2);
      put(all.subarray(c * pageBytes, (c + 1) * pageBytes));
      if (pageBytes % 2) put(new Uint8Array(1));
      const ifd = Buffer.alloc(ifdBytes);
      const entries: [number, number, number, number?][] = [
        [TAG.newSubfileType, 4, 0],
        [TAG.width, 4, W],
        [TAG.height, 4, H],
        [TAG.bitsPerSample, 3, bits],
        [TAG.compression, 3, 1],
        [TAG.photometric, 3, 1], // black is zero
        ...(desc && c === 0 ? [[270, 2, descAt, desc.length] as [number, number, number, number]] : []),
        [TAG.stripOffsets, 4, dataAt],
        [TAG.samplesPerPixel, 3, 1],
        [TAG.rowsPerStrip, 4, H],
        [TAG.stripByteCounts, 4, pageBytes],
        [TAG.planarConfig, 3, 1],
        [TAG.sampleFormat, 3, format],
      ];
      ifd.writeUInt16LE(entries.length, 0);
      entries.forEach(([tag, type, v, count], i) => {
        const e = 2 + i * 12;
        ifd.writeUInt16LE(tag, e);
        ifd.writeUInt16LE(type, e + 2);
        ifd.writeUInt32LE(count ?? 1, e + 4);
        if (type === 3) ifd.writeUInt16LE(v, e + 8);
        else ifd.writeUInt32LE(v, e + 8);
      });
      ifd.writeUInt32LE(c + 1 < C ? ifdAt + span : 0, 2 + entries.length * 12);
      put(ifd);
    }
    if (desc) put(desc);
  });
}

/** The ImageDescription (tag 270) of a TIFF's first page, e.g. OME-XML; undefined if it has none. */
export function readTiffDescription(path: string): string | undefined {
  const r = new Reader(readFileSync(path), path);
  const pos = r.firstIfd();
  const n = r.big ? r.u64(pos) : r.u16(pos);
  const entrySize = r.big ? 20 : 12;
  const first = pos + (r.big ? 8 : 2);
  for (let i = 0; i < n; i++) {
    const e = first + i * entrySize;
    if (r.u16(e) !== 270) continue;
    const count = r.big ? r.u64(e + 4) : r.u32(e + 4);
    const field = e + (r.big ? 12 : 8);
    const at = count <= (r.big ? 8 : 4) ? field : r.offset(field);
    r.check(at, count);
    return r.buf.toString("utf8", at, at + count).replace(/\0+$/, "");
  }
  return undefined;
}
