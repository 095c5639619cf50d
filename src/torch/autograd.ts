// Grad-mode switches, like torch.no_grad() and torch.enable_grad().
import { N } from "./native.js";

function withGrad<T>(enabled: boolean, fn: () => T): T {
  const prev = N.isGradEnabled() as boolean;
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
