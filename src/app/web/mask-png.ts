// Painted strokes as the mask PNG `hemoseg import` reads as it is: 8-bit greyscale, the class
// index per labelled pixel and 255 elsewhere.
import { upng } from "./vendor.js";

export function maskPng(mask: Uint8Array, W: number, H: number): Blob {
  if (mask.length !== W * H) throw new Error(`mask of ${mask.length} pixels is not ${W} x ${H}`);
  const bytes = mask.slice().buffer;
  // one frame, 1 colour channel, no alpha, 8 bits: colour type 0 (greyscale)
  return new Blob([upng().encodeLL([bytes], W, H, 1, 0, 8)], { type: "image/png" });
}
