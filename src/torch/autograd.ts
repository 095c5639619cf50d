// Grad-mode switches, like torch.no_grad() and torch.enable_grad().
import { N } from "./native.js";

function withGrad<T>(enabled: boolean, fn: () => T): T {
  const prev = N.isGradEnabled();
  N.setGradEnabled(enabled);
  try {
    return fn();
  } finally {
    N.setGradEnabled(prev);
  }
}

export const noGrad = <T>(fn: () => T): T => withGrad(false, fn);
export const enableGrad = <T>(fn: () => T): T => withGrad(true, fn);
export const isGradEnabled = (): boolean => N.isGradEnabled();

/**
 * Runs fn with autocast on device (like `with torch.autocast(device, dtype)`): matmuls and
 * convolutions in dtype (bfloat16 by default), reductions and norms in float32.
 */
export function autocast<T>(device: string, fn: () => T, dtype: "bfloat16" | "float16" = "bfloat16"): T {
  const kind = device.startsWith("cuda") ? "cuda" : "cpu";
  const prev = N.autocastEnter(kind, dtype);
  try {
    return fn();
  } finally {
    N.autocastExit(kind, prev);
  }
}
