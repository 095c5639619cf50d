// Colours for images: class palettes, false-colour composites of multi-channel stacks, label maps,
// overlays and a sequential ramp for heatmaps. Images are row-major RGB bytes (H, W, 3).

export type Rgb = readonly [number, number, number];

/** One colour per default class (DESIGN §5 order), chosen to stay apart on dark and light images. */
export const CLASS_COLOURS: readonly Rgb[] = [
  [96, 96, 96], // 0 background
  [148, 103, 189], // 1 white blood cell
  [255, 215, 0], // 2 platelet
  [214, 39, 40], // 3 outer red blood cell
  [255, 152, 150], // 4 inner red blood cell
  [31, 119, 180], // 5 beads
  [23, 190, 207], // 6 monster beads
  [44, 160, 44], // 7 sensor scratch
  [152, 223, 138], // 8 chamber top scratch
  [140, 86, 75], // 9 debris
  [255, 127, 14], // 10 bubble
];

function hsvToRgb(h: number, s: number, v: number): Rgb {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return Math.round(255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}

/** n class colours: the defaults first, then hues spaced by the golden angle. */
export function classPalette(n = CLASS_COLOURS.length): Rgb[] {
  const out = CLASS_COLOURS.slice(0, n);
  for (let i = out.length; i < n; i++) {
    const h = (i * 0.618033988749895) % 1;
    out.push(hsvToRgb(h, i % 2 ? 0.55 : 0.8, i % 3 ? 0.95 : 0.75));
  }
  return out;
}

/** Linear-interpolated percentile of the finite values of v (numpy's default method). */
export function percentile(v: ArrayLike<number>, p: number): number {
  const all = new Float64Array(v.length);
  let n = 0;
  for (let i = 0; i < v.length; i++) if (Number.isFinite(v[i])) all[n++] = v[i];
  const s = all.subarray(0, n).sort();
  if (s.length === 0) return 0;
  const pos = (Math.min(100, Math.max(0, p)) / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/**
 * RGB composite of three channels of a (C, H, W) stack, each stretched between its own
 * percentiles (default 1 and 99) so one bright object does not wash the picture out.
 */
export function falseColour(
  image: Float32Array,
  C: number,
  H: number,
  W: number,
  channels: [number, number, number],
  percentiles: [number, number] = [1, 99],
): Uint8Array {
  if (image.length !== C * H * W) {
    throw new Error(`falseColour: image has ${image.length} values, expected C*H*W = ${C}*${H}*${W}`);
  }
  const bad = channels.find((c) => !(Number.isInteger(c) && c >= 0 && c < C));
  if (bad !== undefined) throw new Error(`falseColour: channel ${bad} is outside [0, ${C})`);
  const out = new Uint8Array(H * W * 3);
  channels.forEach((c, k) => {
    const plane = image.subarray(c * H * W, (c + 1) * H * W);
    const lo = percentile(plane, percentiles[0]);
    const hi = percentile(plane, percentiles[1]);
    const scale = hi > lo ? 255 / (hi - lo) : 0;
    for (let i = 0; i < plane.length; i++) {
      const v = (plane[i] - lo) * scale;
      out[i * 3 + k] = Number.isFinite(v) ? Math.max(0, Math.min(255, Math.round(v))) : 0;
    }
  });
  return out;
}

function colourOf(label: number, palette: readonly Rgb[], where: string): Rgb {
  const c = palette[label];
  if (c === undefined)
    throw new Error(`${where}: label ${label} has no colour (palette of ${palette.length})`);
  return c;
}

/** Label map (H*W class indices) to RGB; ignore-index pixels get ignoreColour (black). */
export function labelsToRgb(
  labels: Uint8Array,
  palette: readonly Rgb[] = CLASS_COLOURS,
  ignore = 255,
  ignoreColour: Rgb = [0, 0, 0],
): Uint8Array {
  const out = new Uint8Array(labels.length * 3);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i] === ignore ? ignoreColour : colourOf(labels[i], palette, "labelsToRgb");
    out.set(c, i * 3);
  }
  return out;
}

/** Blends class colours over an RGB image where labels are set; ignore-index pixels keep the image. */
export function overlay(
  rgb: Uint8Array,
  labels: Uint8Array,
  palette: readonly Rgb[] = CLASS_COLOURS,
  alpha = 0.5,
  ignore = 255,
): Uint8Array {
  if (rgb.length !== labels.length * 3) {
    throw new Error(`overlay: image has ${rgb.length / 3} pixels, labels ${labels.length}`);
  }
  const out = Uint8Array.from(rgb);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === ignore) continue;
    const c = colourOf(labels[i], palette, "overlay");
    for (let k = 0; k < 3; k++) out[i * 3 + k] = Math.round((1 - alpha) * rgb[i * 3 + k] + alpha * c[k]);
  }
  return out;
}

// Stops of a white-to-dark-blue ramp (matplotlib's "Blues").
const BLUES: readonly Rgb[] = [
  [247, 251, 255],
  [198, 219, 239],
  [107, 174, 214],
  [33, 113, 181],
  [8, 48, 107],
];

/** Sequential colour for t in [0, 1] (clamped): white at 0, dark blue at 1. */
export function blues(t: number): Rgb {
  const x = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0)) * (BLUES.length - 1);
  const i = Math.min(Math.floor(x), BLUES.length - 2);
  const f = x - i;
  const a = BLUES[i];
  const b = BLUES[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as unknown as Rgb;
}

/** Relative luminance in [0, 1], to choose black or white text over a colour. */
export function luminance(c: Rgb): number {
  return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255;
}
