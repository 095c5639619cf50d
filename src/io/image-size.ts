// An image file's size from its header alone (JPEG, PNG, BMP), or by reading it (other types).
import { closeSync, openSync, readSync } from "node:fs";
import { extname } from "node:path";
import { readImageStack } from "./image-file.js";
import { jpegInfo } from "./jpeg.js";

export interface ImageSize {
  width: number;
  height: number;
}

function head(path: string, bytes: number): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const buf = new Uint8Array(bytes);
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

export function imageSize(path: string): ImageSize {
  const ext = extname(path).toLowerCase();
  if (ext === ".jpg" || ext === ".jpeg") {
    // The frame header follows the APPn segments (EXIF thumbnails can be large).
    for (const n of [65536, 1 << 22, 1 << 30]) {
      const b = head(path, n);
      try {
        return jpegInfo(b, path);
      } catch (e) {
        if (b.length < n) throw e;
      }
    }
  }
  if (ext === ".png") {
    const b = head(path, 24);
    if (b.length < 24 || b[12] !== 0x49 || b[13] !== 0x48)
      throw new Error(`${path}: not a readable PNG file`);
    const v = new DataView(b.buffer, b.byteOffset);
    return { width: v.getUint32(16), height: v.getUint32(20) };
  }
  if (ext === ".bmp") {
    const b = head(path, 26);
    if (b.length < 26 || b[0] !== 0x42 || b[1] !== 0x4d) throw new Error(`${path}: not a readable BMP file`);
    const v = new DataView(b.buffer, b.byteOffset);
    return { width: v.getInt32(18, true), height: Math.abs(v.getInt32(22, true)) };
  }
  const t = readImageStack(path);
  const [, height, width] = t.shape;
  t.dispose();
  return { width, height };
}
