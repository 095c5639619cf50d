// PNG (ISO/IEC 15948) decoding of every colour type, bit depth, filter and Adam7 interlacing, and
// 8/16-bit encoding, on node:zlib.
import { readFileSync } from "node:fs";
import { crc32, deflateSync, inflateSync } from "node:zlib";
import { writeFileAtomic } from "./atomic.js";
import { checkImageSize } from "./limits.js";

export interface PngImage {
  width: number;
  height: number;
  /** 1 grey or palette index, 2 grey + alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  /** Bits per sample of data: 8 (Uint8Array) or 16 (Uint16Array). */
  bitDepth: 8 | 16;
  /** Samples, rows top to bottom, interleaved (H, W, channels). */
  data: Uint8Array | Uint16Array;
  /** RGB triples of a palette image, whose data holds the indices. */
  palette?: Uint8Array;
  /**
   * Bits per sample as stored. Samples below 8 bits keep their stored values (a 1-bit mask reads
   * as 0/1, not 0/255), so label images keep their class numbers.
   */
  storedBits?: 1 | 2 | 4 | 8 | 16;
}

export interface PngInput {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  /** (H, W, channels) samples; a Uint16Array makes a 16-bit PNG. */
  data: Uint8Array | Uint16Array;
  /** RGB triples (at most 256): data holds 8-bit indices into it (channels must be 1). */
  palette?: Uint8Array;
}

// Inflated bytes tolerated beyond what the header implies (a valid PNG has none).
const INFLATE_SLACK = 65536;
const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const CHANNELS: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};
// Adam7 passes: x0, y0, dx, dy
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Undoes the per-row filters of a w x h (sub-)image starting at src[pos]; returns the raw rows. */
function unfilter(
  src: Uint8Array,
  pos: number,
  rowBytes: number,
  h: number,
  bpp: number,
  fail: (w: string) => never,
) {
  const out = new Uint8Array(rowBytes * h);
  for (let y = 0; y < h; y++) {
    const ft = src[pos++];
    const r = y * rowBytes;
    const u = r - rowBytes; // the row above (absent on the first row: reads as 0)
    switch (ft) {
      case 0:
        out.set(src.subarray(pos, pos + rowBytes), r);
        break;
      case 1:
        for (let i = 0; i < rowBytes; i++) out[r + i] = src[pos + i] + (i >= bpp ? out[r + i - bpp] : 0);
        break;
      case 2:
        for (let i = 0; i < rowBytes; i++) out[r + i] = src[pos + i] + (y > 0 ? out[u + i] : 0);
        break;
      case 3:
        for (let i = 0; i < rowBytes; i++) {
          const a = i >= bpp ? out[r + i - bpp] : 0;
          const b = y > 0 ? out[u + i] : 0;
          out[r + i] = src[pos + i] + ((a + b) >> 1);
        }
        break;
      case 4:
        for (let i = 0; i < rowBytes; i++) {
          const a = i >= bpp ? out[r + i - bpp] : 0;
          const b = y > 0 ? out[u + i] : 0;
          const c = y > 0 && i >= bpp ? out[u + i - bpp] : 0;
          out[r + i] = src[pos + i] + paeth(a, b, c);
        }
        break;
      default:
        fail(`row ${y} has unknown filter type ${ft}`);
    }
    pos += rowBytes;
  }
  return { rows: out, next: pos };
}

/** Raw rows -> samples (one array element per sample). */
function unpack(rows: Uint8Array, w: number, h: number, ch: number, bits: number): Uint8Array | Uint16Array {
  const n = w * ch;
  if (bits === 8) return rows;
  if (bits === 16) {
    const out = new Uint16Array(n * h);
    for (let i = 0; i < out.length; i++) out[i] = (rows[2 * i] << 8) | rows[2 * i + 1];
    return out;
  }
  const out = new Uint8Array(n * h);
  const rowBytes = Math.ceil((n * bits) / 8);
  const mask = (1 << bits) - 1;
  for (let y = 0; y < h; y++) {
    for (let i = 0; i < n; i++) {
      const bit = i * bits;
      out[y * n + i] = (rows[y * rowBytes + (bit >> 3)] >> (8 - bits - (bit & 7))) & mask;
    }
  }
  return out;
}

/** Decodes a PNG; `name` (the file) appears in every error. */
export function decodePng(bytes: Uint8Array, name = "<png>"): PngImage {
  const fail = (why: string): never => {
    throw new Error(`${name}: not a valid PNG: ${why}`);
  };
  if (bytes.length < 8 || !SIGNATURE.every((b, i) => bytes[i] === b)) fail("missing the PNG signature");
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let pos = 8;
  let ihdr: Buffer | null = null;
  let palette: Uint8Array | undefined;
  const idat: Buffer[] = [];
  let ended = false;
  while (!ended) {
    if (pos + 12 > buf.length) fail(`file ends at byte ${buf.length} before the IEND chunk (truncated?)`);
    const len = buf.readUInt32BE(pos);
    const type = buf.toString("latin1", pos + 4, pos + 8);
    if (pos + 12 + len > buf.length) fail(`chunk ${type} runs past the end of the file (truncated?)`);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (crc32(buf.subarray(pos + 4, pos + 8 + len)) >>> 0 !== buf.readUInt32BE(pos + 8 + len)) {
      fail(`chunk ${type} at byte ${pos} fails its CRC check (corrupt)`);
    }
    if (!ihdr && type !== "IHDR") fail("the first chunk is not IHDR");
    if (type === "IHDR") ihdr = data;
    else if (type === "PLTE") palette = new Uint8Array(data);
    else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") ended = true;
    else if (type.charCodeAt(0) < 97) fail(`unknown critical chunk ${type}`);
    pos += 12 + len;
  }
  if (ihdr!.length !== 13) fail("IHDR is not 13 bytes");
  const width = ihdr!.readUInt32BE(0);
  const height = ihdr!.readUInt32BE(4);
  const bits = ihdr![8];
  const colorType = ihdr![9];
  const interlace = ihdr![12];
  const ch = CHANNELS[colorType];
  if (!ch) fail(`unknown colour type ${colorType}`);
  if (!DEPTHS[colorType].includes(bits))
    fail(`bit depth ${bits} is not allowed for colour type ${colorType}`);
  if (ihdr![10] !== 0 || ihdr![11] !== 0 || interlace > 1)
    fail("unknown compression, filter or interlace method");
  if (width === 0 || height === 0) fail(`empty image ${width}x${height}`);
  if (colorType === 3 && (!palette || palette.length % 3 !== 0))
    fail("palette image without a valid PLTE chunk");
  if (idat.length === 0) fail("no IDAT chunk");
  // Declared sizes are checked before anything is inflated or allocated (decompression bombs).
  checkImageSize(name, {
    width,
    height,
    planes: colorType === 3 ? 3 : ch,
    bytesPerSample: bits === 16 ? 2 : 1,
  });

  const bitsPerPixel = ch * bits;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const passes = interlace ? ADAM7 : [[0, 0, 1, 1]];
  const sizes = passes.map(([x0, y0, dx, dy]) => [
    Math.ceil((width - x0) / dx),
    Math.ceil((height - y0) / dy),
  ]);
  const need = sizes.reduce(
    (s, [w, h]) => s + (w > 0 && h > 0 ? h * (1 + Math.ceil((w * bitsPerPixel) / 8)) : 0),
    0,
  );
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: need + INFLATE_SLACK });
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
      return fail(`image data inflates to more than the ${need} bytes ${width}x${height} needs`);
    return fail(`image data does not inflate (${(e as Error).message})`);
  }
  if (raw.length < need)
    fail(`image data holds ${raw.length} bytes, ${width}x${height} needs ${need} (truncated?)`);

  const n = width * height * ch;
  const out = bits === 16 ? new Uint16Array(n) : new Uint8Array(n);
  let p = 0;
  passes.forEach(([x0, y0, dx, dy], k) => {
    const [w, h] = sizes[k];
    if (w <= 0 || h <= 0) return;
    const { rows, next } = unfilter(raw, p, Math.ceil((w * bitsPerPixel) / 8), h, bpp, fail);
    p = next;
    const samples = unpack(rows, w, h, ch, bits);
    if (!interlace) {
      out.set(samples);
      return;
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = ((y0 + y * dy) * width + x0 + x * dx) * ch;
        for (let c = 0; c < ch; c++) out[o + c] = samples[(y * w + x) * ch + c];
      }
    }
  });
  const img: PngImage = { width, height, channels: ch, bitDepth: bits === 16 ? 16 : 8, data: out };
  img.storedBits = bits as PngImage["storedBits"];
  if (colorType === 3) img.palette = palette;
  return img;
}

/** Picks, per row, the filter with the smallest sum of absolute (signed) residuals. */
function filterRows(
  raw: Uint8Array,
  rowBytes: number,
  h: number,
  bpp: number,
  adaptive: boolean,
): Uint8Array {
  const out = new Uint8Array(h * (rowBytes + 1));
  const cand = new Uint8Array(rowBytes);
  for (let y = 0; y < h; y++) {
    const r = y * rowBytes;
    const u = r - rowBytes;
    let best = 0;
    let bestCost = Number.POSITIVE_INFINITY;
    const o = y * (rowBytes + 1);
    for (let ft = 0; ft < (adaptive ? 5 : 1); ft++) {
      let cost = 0;
      for (let i = 0; i < rowBytes; i++) {
        const x = raw[r + i];
        const a = i >= bpp ? raw[r + i - bpp] : 0;
        const b = y > 0 ? raw[u + i] : 0;
        const c = y > 0 && i >= bpp ? raw[u + i - bpp] : 0;
        const pred = ft === 0 ? 0 : ft === 1 ? a : ft === 2 ? b : ft === 3 ? (a + b) >> 1 : paeth(a, b, c);
        const v = (x - pred) & 0xff;
        cand[i] = v;
        cost += v < 128 ? v : 256 - v;
      }
      if (cost < bestCost) {
        bestCost = cost;
        best = ft;
        out.set(cand, o + 1);
      }
    }
    out[o] = best;
  }
  return out;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + data.length);
  b.writeUInt32BE(data.length, 0);
  b.write(type, 4, "latin1");
  b.set(data, 8);
  b.writeUInt32BE(crc32(b.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return b;
}

/** Encodes an 8-bit (Uint8Array data) or 16-bit (Uint16Array) PNG, optionally palette-indexed. */
export function encodePng(img: PngInput): Buffer {
  const { width, height, channels, data, palette } = img;
  const bits = data instanceof Uint16Array ? 16 : 8;
  if (![1, 2, 3, 4].includes(channels)) throw new Error(`encodePng: channels must be 1-4, got ${channels}`);
  if (data.length !== width * height * channels) {
    throw new Error(`encodePng: ${data.length} samples do not make a ${width}x${height}x${channels} image`);
  }
  if (
    palette &&
    (channels !== 1 || bits !== 8 || palette.length % 3 !== 0 || palette.length > 768 || !palette.length)
  ) {
    throw new Error("encodePng: a palette needs 8-bit single-channel indices and 1-256 RGB triples");
  }
  const colorType = palette ? 3 : { 1: 0, 2: 4, 3: 2, 4: 6 }[channels];
  const rowBytes = width * channels * (bits / 8);
  let raw: Uint8Array;
  if (bits === 16) {
    raw = new Uint8Array(data.length * 2);
    for (let i = 0; i < data.length; i++) {
      raw[2 * i] = data[i] >> 8;
      raw[2 * i + 1] = data[i] & 0xff;
    }
  } else {
    raw = data as Uint8Array;
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bits;
  ihdr[9] = colorType;
  // palette indices do not predict well: the spec recommends filter 0 for them
  const filtered = filterRows(raw, rowBytes, height, Math.max(1, (channels * bits) >> 3), !palette);
  return Buffer.concat([
    Buffer.from(SIGNATURE),
    chunk("IHDR", ihdr),
    ...(palette ? [chunk("PLTE", palette)] : []),
    chunk("IDAT", deflateSync(filtered)),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

export function readPng(path: string): PngImage {
  return decodePng(readFileSync(path), path);
}

/** Writes a PNG atomically. */
export function writePng(path: string, img: PngInput): void {
  writeFileAtomic(path, encodePng(img));
}
