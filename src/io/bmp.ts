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
  let d: ReturnType<typeof bmp.decode>;
  try {
    d = bmp.decode(buf, { toRGBA: true });
  } catch (e) {
    throw new Error(`${name}: not a readable BMP file: ${(e as Error).message}`);
  }
  const width = d.width;
  const height = Math.abs(d.height);
  const n = width * height;
  if (!(width > 0 && height > 0)) throw new Error(`${name}: not a readable BMP file: ${width} x ${height}`);
  const offset = buf.readUInt32LE(10);
  const bits = d.bitPP;
  const rowBytes = Math.ceil((width * bits) / 32) * 4;
  if (d.compression === 0 && offset + rowBytes * height > bytes.length)
    throw new Error(
      `${name}: not a readable BMP file: pixel data needs ${rowBytes * height} bytes from ${offset}, the file has ${bytes.length - offset} (truncated?)`,
    );
  const rgba = d.data;
  const rgb = new Uint8Array(n * 3);
  let grey = true;
  for (let i = 0; i < n; i++) {
    const r = rgba[4 * i];
    const g = rgba[4 * i + 1];
    const b = rgba[4 * i + 2];
    rgb[3 * i] = r;
    rgb[3 * i + 1] = g;
    rgb[3 * i + 2] = b;
    if (r !== g || g !== b) grey = false;
  }
  const palette = bits <= 8 ? d.palette : undefined;
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
