// Bounds on what a hostile file can make the reader allocate. A compressed image (PNG, TIFF,
// deflated .npz member) can declare dimensions far beyond its size: a 1 MB PNG can claim
// 20000 x 20000 pixels. Readers call these checks with the declared sizes before they allocate
// or inflate anything, and refuse with the size found.
import { freemem } from "node:os";

/** Pixels per plane (H x W) an image may have; HEMOSEG_MAX_IMAGE_PIXELS overrides it. */
export const DEFAULT_MAX_IMAGE_PIXELS = 2 ** 28; // 16384 x 16384

export function maxImagePixels(): number {
  const env = process.env.HEMOSEG_MAX_IMAGE_PIXELS;
  if (env === undefined || env === "") return DEFAULT_MAX_IMAGE_PIXELS;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`HEMOSEG_MAX_IMAGE_PIXELS must be a positive integer, got '${env}'`);
  return n;
}

/** Bytes this process can still allocate: free memory, or what is left under a cgroup limit. */
export function availableMemory(): number {
  let avail = freemem();
  const limit = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  if (limit && limit > 0 && limit < 2 ** 60) avail = Math.min(avail, limit - process.memoryUsage().rss);
  return Math.max(0, avail);
}

export function formatBytes(n: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${n.toFixed(1)} ${units[i]}`;
}

/**
 * Refuses an allocation of `bytes` (times `peakFactor` for the intermediate copies a decoder
 * makes) that exceeds the memory available; `what` describes the data for the message.
 */
export function checkAllocation(
  name: string,
  what: string,
  bytes: number,
  peakFactor = 1,
  available?: number,
): void {
  const avail = available ?? availableMemory();
  const peak = bytes * peakFactor;
  if (!Number.isFinite(peak) || peak > avail) {
    throw new Error(
      `${name}: ${what} needs about ${formatBytes(peak)} of memory to read, but only ${formatBytes(avail)} is available`,
    );
  }
}

export interface ImageSize {
  width: number;
  height: number;
  /** Planes of width x height samples: channels x pages. */
  planes: number;
  bytesPerSample: number;
}

/**
 * Checks declared image dimensions before any decoding: the pixel count per plane against
 * maxImagePixels(), then the decoded size (times peakFactor for a decoder's intermediate copies)
 * against the available memory. Errors name the file and the size found.
 */
export function checkImageSize(name: string, s: ImageSize, peakFactor = 3, available?: number): void {
  const { width: W, height: H, planes, bytesPerSample } = s;
  const pixels = W * H;
  const max = maxImagePixels();
  const what = `${W} x ${H} pixels${planes > 1 ? ` x ${planes} planes` : ""}`;
  if (pixels > max) {
    throw new Error(
      `${name}: image of ${what} exceeds the limit of ${max} pixels per plane ` +
        "(set HEMOSEG_MAX_IMAGE_PIXELS to raise it); refusing to decode it",
    );
  }
  checkAllocation(name, `image of ${what}`, pixels * planes * bytesPerSample, peakFactor, available);
}
