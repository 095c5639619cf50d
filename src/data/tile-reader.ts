// Reads T x T tiles straight from the .npy files with positioned reads (pread), flips and
// normalises them into caller-owned buffers. It touches only the rows a tile needs, so a dataset
// far larger than memory streams through a few megabytes; it holds no tensors and loads no native
// code, so it runs in a worker thread. pread rather than the memory map: mapped pages a loader has
// touched count in its RSS until the kernel reclaims them, read pages go to the page cache only.
import { closeSync, openSync, readSync } from "node:fs";

export interface ArrayLocation {
  path: string;
  dataOffset: number; // byte offset of element 0 in the file
}

export interface TileSource {
  images: ArrayLocation; // (N, C, H, W) float32
  masks?: ArrayLocation; // (N, H, W) uint8
  fullMasks?: ArrayLocation; // (N, H, W) uint8
  channels: number;
  height: number;
  width: number;
  tile: number;
  /** Per-channel normalisation (x - mean) / std; omit both to keep raw values. */
  mean?: number[];
  std?: number[];
}

/** Flip bits of one tile: horizontal (along W, torch dim -1) and vertical (along H, dim -2). */
export const HFLIP = 1;
export const VFLIP = 2;

type MaskName = "masks" | "fullMasks";

export class TileReader {
  readonly src: TileSource;
  #fds = new Map<string, number>();
  #band: Float32Array; // (C, T, W): the rows a tile spans, every column
  #bandBytes: Uint8Array;
  #maskBand: Uint8Array; // (T, W)
  #mean: Float32Array;
  #scale: Float32Array;

  constructor(src: TileSource) {
    this.src = src;
    const { channels: C, width: W, tile: T } = src;
    this.#band = new Float32Array(C * T * W);
    this.#bandBytes = new Uint8Array(this.#band.buffer);
    this.#maskBand = new Uint8Array(T * W);
    this.#mean = new Float32Array(C);
    this.#scale = new Float32Array(C).fill(1);
    if (src.mean && src.std) {
      for (let c = 0; c < C; c++) {
        this.#mean[c] = src.mean[c];
        // A constant channel (std 0) is centred, not scaled.
        this.#scale[c] = src.std[c] > 0 ? 1 / src.std[c] : 1;
      }
    }
  }

  #fd(path: string): number {
    let fd = this.#fds.get(path);
    if (fd === undefined) {
      fd = openSync(path, "r");
      this.#fds.set(path, fd);
    }
    return fd;
  }

  #read(loc: ArrayLocation, into: Uint8Array, byteOffset: number, length: number, position: number): void {
    const fd = this.#fd(loc.path);
    let done = 0;
    while (done < length) {
      const r = readSync(fd, into, byteOffset + done, length - done, loc.dataOffset + position + done);
      if (r <= 0)
        throw new Error(
          `${loc.path}: truncated: needed ${length} bytes at data offset ${position}, the file ended after ${done}`,
        );
      done += r;
    }
  }

  /** Writes tile (stack, row, col), flipped and normalised, to out[offset .. offset + C*T*T). */
  readImage(stack: number, row: number, col: number, flips: number, out: Float32Array, offset: number): void {
    const { channels: C, height: H, width: W, tile: T } = this.src;
    const plane = H * W;
    const band = T * W;
    if (H === T && W === T) {
      // The tile is the whole stack: one read.
      this.#read(this.src.images, this.#bandBytes, 0, C * band * 4, stack * C * plane * 4);
    } else {
      for (let c = 0; c < C; c++)
        this.#read(
          this.src.images,
          this.#bandBytes,
          c * band * 4,
          band * 4,
          ((stack * C + c) * plane + row * band) * 4,
        );
    }
    const src = this.#band;
    const x0 = col * T;
    const h = (flips & HFLIP) !== 0;
    const v = (flips & VFLIP) !== 0;
    for (let c = 0; c < C; c++) {
      const m = this.#mean[c];
      const k = this.#scale[c];
      for (let y = 0; y < T; y++) {
        const s = c * band + (v ? T - 1 - y : y) * W + x0;
        const o = offset + (c * T + y) * T;
        if (h) for (let x = 0; x < T; x++) out[o + x] = (src[s + T - 1 - x] - m) * k;
        else for (let x = 0; x < T; x++) out[o + x] = (src[s + x] - m) * k;
      }
    }
  }

  /** Writes the mask tile as int64 (little-endian low/high 32-bit words) to out64[offset .. + T*T). */
  readMask(
    which: MaskName,
    stack: number,
    row: number,
    col: number,
    flips: number,
    out64: Int32Array,
    offset: number,
  ): void {
    const loc = this.src[which];
    if (!loc) throw new Error(`this dataset has no ${which}`);
    const { height: H, width: W, tile: T } = this.src;
    this.#read(loc, this.#maskBand, 0, T * W, stack * H * W + row * T * W);
    const src = this.#maskBand;
    const x0 = col * T;
    const h = (flips & HFLIP) !== 0;
    const v = (flips & VFLIP) !== 0;
    for (let y = 0; y < T; y++) {
      const s = (v ? T - 1 - y : y) * W + x0;
      const o = 2 * (offset + y * T);
      for (let x = 0; x < T; x++) {
        out64[o + 2 * x] = src[h ? s + T - 1 - x : s + x];
        out64[o + 2 * x + 1] = 0;
      }
    }
  }

  close(): void {
    for (const fd of this.#fds.values()) closeSync(fd);
    this.#fds.clear();
  }
}
