// JPEG images (baseline and progressive, greyscale, YCbCr or CMYK) through the jpeg-js decoder.
// The header is read here first, so a greyscale JPEG comes back with one channel and a file that
// is not a JPEG, or is cut short, is refused naming the file.
import { readFileSync } from "node:fs";
import jpeg from "jpeg-js";

export interface JpegInfo {
  width: number;
  height: number;
  /** Colour components in the frame: 1 grey, 3 YCbCr/RGB, 4 CMYK. */
  components: number;
  progressive: boolean;
}

export interface JpegImage {
  width: number;
  height: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  /** Samples, (H, W, channels) row-major. */
  data: Uint8Array;
}

/** The frame header (SOFn) of a JPEG, without decoding the scans. */
export function jpegInfo(bytes: Uint8Array, name = "<jpeg>"): JpegInfo {
  const fail = (why: string): never => {
    throw new Error(`${name}: not a readable JPEG file: ${why}`);
  };
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) fail("missing the SOI marker (FF D8)");
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) fail(`expected a marker at byte ${p}`);
    const m = bytes[p + 1];
    if (m === 0xff) {
      p++; // fill byte
      continue;
    }
    const len = (bytes[p + 2] << 8) | bytes[p + 3];
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC)
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (p + 10 > bytes.length) break;
      if (m === 0xc3 || m === 0xc7 || m === 0xcb || m === 0xcf) fail("lossless JPEG is not supported");
      if (m >= 0xc9) fail("arithmetic-coded JPEG is not supported");
      const height = (bytes[p + 5] << 8) | bytes[p + 6];
      const width = (bytes[p + 7] << 8) | bytes[p + 8];
      const components = bytes[p + 9];
      if (bytes[p + 4] !== 8) fail(`${bytes[p + 4]}-bit samples (only 8-bit JPEG is supported)`);
      if (width < 1 || height < 1) fail(`frame is ${width} x ${height}`);
      if (![1, 3, 4].includes(components)) fail(`${components} colour components`);
      return { width, height, components, progressive: m === 0xc2 || m === 0xc6 };
    }
    if (m === 0xda || m === 0xd9) break;
    p += 2 + len;
  }
  return fail("no frame header before the image data (truncated?)");
}

/** Decodes JPEG bytes to 8-bit grey (1 channel) or RGB (3 channels). */
export function decodeJpeg(bytes: Uint8Array, name = "<jpeg>"): JpegImage {
  const info = jpegInfo(bytes, name);
  // A complete JPEG ends with EOI; the decoder would fill a cut-off scan with grey without a word.
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0 || bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end--;
  if (end < 2 || bytes[end - 2] !== 0xff || bytes[end - 1] !== 0xd9)
    throw new Error(`${name}: not a readable JPEG file: no end-of-image marker (truncated?)`);
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: 400,
      maxMemoryUsageInMB: 4096,
    });
  } catch (e) {
    throw new Error(`${name}: not a readable JPEG file: ${(e as Error).message}`);
  }
  const { width, height } = img;
  if (width !== info.width || height !== info.height)
    throw new Error(`${name}: decoded ${width} x ${height}, header says ${info.width} x ${info.height}`);
  if (info.components !== 1) return { width, height, channels: 3, data: img.data };
  const grey = new Uint8Array(width * height);
  for (let i = 0; i < grey.length; i++) grey[i] = img.data[3 * i];
  return { width, height, channels: 1, data: grey };
}

export function readJpeg(path: string): JpegImage {
  return decodeJpeg(readFileSync(path), path);
}

/** Encodes 8-bit RGB (H, W, 3) as a baseline JPEG (for tests and previews). */
export function encodeJpeg(rgb: Uint8Array, width: number, height: number, quality = 90): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[4 * i] = rgb[3 * i];
    rgba[4 * i + 1] = rgb[3 * i + 1];
    rgba[4 * i + 2] = rgb[3 * i + 2];
    rgba[4 * i + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ data: rgba, width, height }, quality).data);
}
