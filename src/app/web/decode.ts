// Image files to (C, H, W) stacks in the browser, read as `hemoseg predict` reads them: PNG
// channels with the palette expanded to RGB and alpha dropped, 16-bit samples kept; TIFF pages
// times samples as channels, raw sample values; JPEG (which hemoseg predict does not read) as RGB.
import { upng, utif } from "./vendor.js";

export interface Stack {
  C: number;
  H: number;
  W: number;
  /** (C, H, W) raw sample values. */
  data: Float32Array;
}

/** PNG colour type -> samples per pixel. */
const PNG_SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Sample `i` of a row of packed big-endian samples of `bits` each. */
function sampleAt(row: Uint8Array, i: number, bits: number): number {
  if (bits === 8) return row[i];
  if (bits === 16) return (row[2 * i] << 8) | row[2 * i + 1];
  const bit = i * bits;
  return (row[bit >> 3] >> (8 - bits - (bit & 7))) & ((1 << bits) - 1);
}

export function decodePngStack(buf: ArrayBuffer, name: string): Stack {
  const img = upng().decode(buf);
  const { width: W, height: H, depth, ctype } = img;
  const spp = PNG_SAMPLES[ctype];
  if (!spp) throw new Error(`${name}: PNG colour type ${ctype} is not supported`);
  const bytes = new Uint8Array(img.data);
  const rowBytes = Math.ceil((W * spp * depth) / 8);
  if (bytes.length < rowBytes * H) throw new Error(`${name}: PNG data is truncated`);
  const palette = ctype === 3 ? img.tabs.PLTE : undefined;
  if (ctype === 3 && !palette) throw new Error(`${name}: palette PNG without a palette`);
  const C = palette ? 3 : spp === 2 || spp === 4 ? spp - 1 : spp;
  const plane = H * W;
  const data = new Float32Array(C * plane);
  for (let y = 0; y < H; y++) {
    const row = bytes.subarray(y * rowBytes, (y + 1) * rowBytes);
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      if (palette) {
        const k = sampleAt(row, x, depth) * 3;
        if (k + 3 > palette.length) throw new Error(`${name}: pixel ${p} uses a palette entry it lacks`);
        for (let c = 0; c < 3; c++) data[c * plane + p] = palette[k + c];
      } else for (let c = 0; c < C; c++) data[c * plane + p] = sampleAt(row, x * spp + c, depth);
    }
  }
  return { C, H, W, data };
}

const tag = (ifd: Record<string, unknown>, t: number, fallback: number): number =>
  (ifd[`t${t}`] as number[] | undefined)?.[0] ?? fallback;

/** Typed view of one page's decoded bytes by bits per sample and sample format (1 uint, 2 int, 3 float). */
function samples(bytes: Uint8Array, bits: number, format: number, little: boolean, name: string) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Math.floor(bytes.length / (bits / 8));
  const read: Record<string, (o: number) => number> = {
    "1:8": (o) => view.getUint8(o),
    "2:8": (o) => view.getInt8(o),
    "1:16": (o) => view.getUint16(o, little),
    "2:16": (o) => view.getInt16(o, little),
    "1:32": (o) => view.getUint32(o, little),
    "2:32": (o) => view.getInt32(o, little),
    "3:32": (o) => view.getFloat32(o, little),
    "3:64": (o) => view.getFloat64(o, little),
  };
  const get = read[`${format}:${bits}`];
  if (!get) throw new Error(`${name}: TIFF samples of ${bits} bits, format ${format}, are not supported`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = get((i * bits) / 8);
  return out;
}

export function decodeTiffStack(buf: ArrayBuffer, name: string): Stack {
  const head = new Uint8Array(buf, 0, Math.min(2, buf.byteLength));
  const little = head[0] === 0x49 && head[1] === 0x49;
  const tif = utif();
  // reduced-resolution copies (thumbnails, pyramid levels) are not pages of the stack
  const pages = tif.decode(buf).filter((ifd) => (tag(ifd, 254, 0) & 1) === 0);
  if (pages.length === 0) throw new Error(`${name}: no image pages`);
  const planes: Float32Array[] = [];
  let H = 0;
  let W = 0;
  pages.forEach((ifd, i) => {
    tif.decodeImage(buf, ifd);
    const w = tag(ifd, 256, 0);
    const h = tag(ifd, 257, 0);
    if (i === 0) [H, W] = [h, w];
    else if (h !== H || w !== W) throw new Error(`${name}: page ${i} is ${h} x ${w}, page 0 is ${H} x ${W}`);
    const spp = tag(ifd, 277, 1);
    const v = samples(ifd.data, tag(ifd, 258, 8), tag(ifd, 339, 1), little, name);
    if (v.length < spp * H * W) throw new Error(`${name}: page ${i} holds too few samples`);
    const planar = tag(ifd, 284, 1) === 2;
    for (let s = 0; s < spp; s++) {
      const p = new Float32Array(H * W);
      for (let k = 0; k < H * W; k++) p[k] = planar ? v[s * H * W + k] : v[k * spp + s];
      planes.push(p);
    }
  });
  const data = new Float32Array(planes.length * H * W);
  planes.forEach((p, c) => {
    data.set(p, c * H * W);
  });
  return { C: planes.length, H, W, data };
}

/** JPEG (or any image the browser decodes) as RGB, without colour management. */
async function decodeBrowserImage(file: Blob, name: string): Promise<Stack> {
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(file, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  } catch {
    throw new Error(`${name}: the browser cannot decode this image`);
  }
  const { width: W, height: H } = bmp;
  const canvas = new OffscreenCanvas(W, H);
  const ctx = canvas.getContext("2d")!;
  ctx.drawImage(bmp, 0, 0);
  bmp.close();
  const rgba = ctx.getImageData(0, 0, W, H).data;
  const data = new Float32Array(3 * H * W);
  for (let i = 0; i < H * W; i++) for (let c = 0; c < 3; c++) data[c * H * W + i] = rgba[4 * i + c];
  return { C: 3, H, W, data };
}

/** Reads a PNG, TIFF or JPEG chosen by its signature bytes; any other file is refused by name. */
export async function decodeFile(file: File): Promise<Stack> {
  const buf = await file.arrayBuffer();
  const b = new Uint8Array(buf, 0, Math.min(4, buf.byteLength));
  const name = file.name;
  try {
    if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return decodePngStack(buf, name);
    if ((b[0] === 0x49 && b[1] === 0x49) || (b[0] === 0x4d && b[1] === 0x4d))
      return decodeTiffStack(buf, name);
    if (b[0] === 0xff && b[1] === 0xd8) return await decodeBrowserImage(file, name);
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(msg.startsWith(name) ? msg : `${name}: cannot be read: ${msg}`);
  }
  throw new Error(`${name}: not a PNG, TIFF or JPEG image`);
}
