// Windows BMP images (1/4/8-bit palette, 16/24/32-bit; uncompressed, RLE4/RLE8, bit fields) through
// the bmp-ts decoder. Palette images keep their palette indices, so a mask stored as an 8-bit
// palette BMP reads as the values that were painted: the grey level when the palette is grey
// (0 / 128 / 255 masks), else the palette index.
import { readFileSync } from "node:fs";
import * as bmp from "bmp-ts";

export interface BmpImage {
  width: number;
  height: number;
  /** 1 for a grey palette, else 3 (RGB; alpha is dropped). */
  channels: number;
  /** Whether every pixel has R = G = B. */
  grey: boolean;
  /** Samples, (H, W, channels) row-major, top row first. */
  data: Uint8Array;
  /** For palette images: each pixel's palette index (H, W), and whether the palette is grey. */
  indices?: Uint8Array;
  greyPalette?: boolean;
}

export function decodeBmp(bytes: Uint8Array, name = "<bmp>"): BmpImage {
  if (bytes.length < 26 || bytes[0] !== 0x42 || bytes[1] !== 0x4d)
    throw new Error(`${name}: not a readable BMP file: missing the "BM" signature`);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (bytes.length >= 34 && buf.readUInt32LE(30) === 0) {
    const rowBytes = Math.ceil((buf.readInt32LE(18) * buf.readUInt16LE(28)) / 32) * 4;
    const need = buf.readUInt32LE(10) + rowBytes * Math.abs(buf.readInt32LE(22));
    if (need > bytes.length)
      throw new Error(
        `${name}: not a readable BMP file: the pixels need ${need} bytes, the file has ${bytes.length} (truncated?)`,
      );
  }
  let d: ReturnType<typeof bmp.decode>;
  try {
    // ABGR: bmp-ts's palette paths ignore its toRGBA option, so take its native order
    d = bmp.decode(buf);
  } catch (e) {
    throw new Error(`${name}: not a readable BMP file: ${(e as Error).message}`);
  }
  const width = d.width;
  const height = Math.abs(d.height);
  const n = width * height;
  if (!(width > 0 && height > 0)) throw new Error(`${name}: not a readable BMP file: ${width} x ${height}`);
  const abgr = d.data;
  const rgb = new Uint8Array(n * 3);
  let grey = true;
  for (let i = 0; i < n; i++) {
    const b = abgr[4 * i + 1];
    const g = abgr[4 * i + 2];
    const r = abgr[4 * i + 3];
    rgb[3 * i] = r;
    rgb[3 * i + 1] = g;
    rgb[3 * i + 2] = b;
    if (r !== g || g !== b) grey = false;
  }
  const palette = d.bitPP <= 8 ? d.palette : undefined;
  if (palette) {
    const greyPalette = palette.every((c) => c.red === c.green && c.green === c.blue);
    // Back from colours to indices: the first palette entry of each colour.
    const index = new Map<number, number>();
    palette.forEach((c, k) => {
      const key = (c.red << 16) | (c.green << 8) | c.blue;
      if (!index.has(key)) index.set(key, k);
    });
    const indices = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const k = index.get((rgb[3 * i] << 16) | (rgb[3 * i + 1] << 8) | rgb[3 * i + 2]);
      if (k === undefined)
        throw new Error(`${name}: not a readable BMP file: pixel ${i} uses no colour of the palette`);
      indices[i] = k;
    }
    if (greyPalette) {
      const g = new Uint8Array(n);
      for (let i = 0; i < n; i++) g[i] = rgb[3 * i];
      return { width, height, channels: 1, grey, data: g, indices, greyPalette };
    }
    return { width, height, channels: 3, grey, data: rgb, indices, greyPalette };
  }
  return { width, height, channels: 3, grey, data: rgb };
}

export function readBmp(path: string): BmpImage {
  return decodeBmp(readFileSync(path), path);
}

/** Encodes 8-bit grey (H, W) or RGB (H, W, 3) as an uncompressed 24-bit BMP (for tests). */
export function encodeBmp(data: Uint8Array, width: number, height: number, channels: 1 | 3): Uint8Array {
  const abgr = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const [r, g, b] =
      channels === 1 ? [data[i], data[i], data[i]] : [data[3 * i], data[3 * i + 1], data[3 * i + 2]];
    abgr[4 * i] = 255;
    abgr[4 * i + 1] = b;
    abgr[4 * i + 2] = g;
    abgr[4 * i + 3] = r;
  }
  return new Uint8Array(bmp.encode({ data: abgr, width, height, bitPP: 24 }).data);
}
