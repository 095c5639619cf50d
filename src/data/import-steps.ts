// Small steps the importers share.
import { isFloating, scope, type Tensor } from "../torch/index.js";

/** A mask tensor's values as a fresh Uint8Array, refusing values that are not whole 0..255. */
export function maskBytes(t: Tensor, file: string): Uint8Array {
  if (t.dtype === "uint8") return (t.toTypedArray() as Uint8Array).slice();
  return scope(() => {
    if (t.dtype === "bool") return t.to("uint8").toTypedArray() as Uint8Array;
    if (t.numel > 0) {
      const lo = t.min().item();
      const hi = t.max().item();
      if (!(lo >= 0 && hi <= 255)) throw new Error(`${file}: mask values ${lo}..${hi} lie outside 0..255`);
      if (isFloating(t.dtype) && !t.eq(t.round()).all().item())
        throw new Error(`${file}: mask values must be whole class numbers, found fractions`);
    }
    return t.to("uint8").toTypedArray() as Uint8Array;
  });
}
