// Small DOM helpers for the app page.

/** The element with this id, or an error naming it (the page and the script disagree). */
export function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

/** Puts the RGBA pixels of `indices` (or all) from `rgba` onto a canvas, redrawing their bounding box. */
export function putPixels(
  canvas: HTMLCanvasElement,
  rgba: Uint8ClampedArray<ArrayBuffer>,
  indices?: number[],
): void {
  const { width: W, height: H } = canvas;
  const ctx = canvas.getContext("2d")!;
  const img = new ImageData(rgba, W, H);
  if (!indices) {
    ctx.putImageData(img, 0, 0);
    return;
  }
  if (indices.length === 0) return;
  let [x0, y0, x1, y1] = [W, H, -1, -1];
  for (const i of indices) {
    const x = i % W;
    const y = (i - x) / W;
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  ctx.putImageData(img, 0, 0, x0, y0, x1 - x0 + 1, y1 - y0 + 1);
}
