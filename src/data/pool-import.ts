// `hemoseg import --pool`: folders of images as an unlabelled pre-training pool. A folder may hold
// images, or one folder per class (PBC: basophil/, eosinophil/, ...), or both; the class of each
// stack (its folder name) is kept in image-classes.json beside dataset.json. Images of any size
// come in the same shape by option:
//   --resize R   scale so the shorter side is R px (area averaging when shrinking, bilinear when
//                growing), then keep the centred R x R square (unless --tile cuts it)
//   --tile T     cut T x T tiles on a grid centred on the image (after --resize); the rest is dropped
//   --grey       one channel, luma 0.299 R + 0.587 G + 0.114 B; otherwise RGB (grey images repeated)
import { readdirSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { writeFileAtomic } from "../io/atomic.js";
import { IMAGE_EXTENSIONS, readImageStack } from "../io/image-file.js";
import { imageSize } from "../io/image-size.js";
import { F, scope, type Tensor, tensor } from "../torch/index.js";
import { type DatasetMeta, writeDataset } from "./dataset.js";

export const CLASS_FILE = "image-classes.json";

export interface PoolImportOptions {
  /** Folders (or single image files). */
  inputs: string[];
  out: string;
  resize?: number;
  tile?: number;
  grey?: boolean;
  seed?: number;
  overwrite?: boolean;
  onProgress?: (done: number, total: number) => void;
}

interface PoolFile {
  path: string;
  cls: string;
  /** Size after --resize (before cropping or tiling). */
  height: number;
  width: number;
}

const supported = (f: string) =>
  !basename(f).startsWith(".") && (IMAGE_EXTENSIONS as readonly string[]).includes(extname(f).toLowerCase());
const natural = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });

/** The images of each input: its own files (no class) and those of its sub-folders (class = name). */
export function listPool(inputs: string[]): { path: string; cls: string }[] {
  const out: { path: string; cls: string }[] = [];
  for (const dir of inputs) {
    if (!statSync(dir, { throwIfNoEntry: false })) throw new Error(`${dir}: no such file or folder`);
    if (!statSync(dir).isDirectory()) {
      if (!supported(dir))
        throw new Error(`${dir}: unsupported file type (use ${IMAGE_EXTENSIONS.join(", ")})`);
      out.push({ path: dir, cls: "" });
      continue;
    }
    const before = out.length;
    for (const name of readdirSync(dir).sort(natural)) {
      const p = join(dir, name);
      if (name.startsWith(".")) continue;
      if (statSync(p).isDirectory()) {
        for (const f of readdirSync(p).sort(natural))
          if (supported(f)) out.push({ path: join(p, f), cls: name });
      } else if (supported(name)) out.push({ path: p, cls: "" });
    }
    if (out.length === before)
      throw new Error(`${dir}: holds no images (${IMAGE_EXTENSIONS.join(", ")}), nor folders of them`);
  }
  return out;
}

/** Stacks one image of size (height, width) after resizing gives, and their top-left corners. */
export function cuts(
  height: number,
  width: number,
  o: { resize?: number; tile?: number },
): [number, number][] {
  const t = o.tile;
  if (t) {
    const ny = Math.floor(height / t);
    const nx = Math.floor(width / t);
    const y0 = Math.floor((height - ny * t) / 2);
    const x0 = Math.floor((width - nx * t) / 2);
    const out: [number, number][] = [];
    for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) out.push([y0 + y * t, x0 + x * t]);
    return out;
  }
  if (o.resize) return [[Math.floor((height - o.resize) / 2), Math.floor((width - o.resize) / 2)]];
  return [[0, 0]];
}

/** The size an image of h x w has after --resize r (shorter side r). */
export function resizedSize(h: number, w: number, r?: number): [number, number] {
  if (!r) return [h, w];
  const s = r / Math.min(h, w);
  return [Math.max(r, Math.round(h * s)), Math.max(r, Math.round(w * s))];
}

/** (C, H, W) uint8/float -> float32 (channels, h, w), resized and converted to grey or RGB. */
function prepare(img: Tensor, h: number, w: number, grey: boolean, file: string): Tensor {
  return scope(() => {
    let x = img.to("float32");
    const C = x.shape[0];
    if (C !== 1 && C !== 3)
      throw new Error(
        `${file}: has ${C} channels; a pool takes grey or RGB images (import stacks with --images)`,
      );
    if (grey && C === 3) {
      const k = tensor(new Float32Array([0.299, 0.587, 0.114]), [3, 1, 1]);
      x = x.mul(k).sum(0, true);
    } else if (!grey && C === 1) {
      x = x.expand([3, ...x.shape.slice(1)]).contiguous();
    }
    const [, H, W] = x.shape;
    if (H === h && W === w) return x;
    const b = x.unsqueeze(0);
    const r = h <= H && w <= W ? F.adaptiveAvgPool2d(b, [h, w]) : F.interpolate(b, [h, w], "bilinear");
    return r.squeeze(0);
  });
}

export function importPool(opts: PoolImportOptions): DatasetMeta & { stackClasses: string[] } {
  for (const [k, v] of [
    ["--resize", opts.resize],
    ["--tile", opts.tile],
  ] as const)
    if (v !== undefined && !(Number.isInteger(v) && v >= 8))
      throw new Error(`${k} must be a whole number of pixels, at least 8; got ${v}`);
  const listed = listPool(opts.inputs);
  const files: PoolFile[] = listed.map(({ path, cls }) => {
    let s: { width: number; height: number };
    try {
      s = imageSize(path);
    } catch (e) {
      const msg = (e as Error).message;
      throw new Error(msg.includes(path) ? msg : `${path}: ${msg}`);
    }
    const [height, width] = resizedSize(s.height, s.width, opts.resize);
    if (opts.tile && (height < opts.tile || width < opts.tile))
      throw new Error(
        `${path}: is ${width} x ${height}${opts.resize ? " after --resize" : ""}, smaller than a ${opts.tile} px tile`,
      );
    return { path, cls, height, width };
  });
  const side = opts.tile ?? opts.resize;
  if (!side) {
    const f0 = files[0];
    const odd = files.find((f) => f.height !== f0.height || f.width !== f0.width);
    if (odd)
      throw new Error(
        `${odd.path}: is ${odd.width} x ${odd.height}, but ${f0.path} is ${f0.width} x ${f0.height}; give --resize or --tile to bring them to one size`,
      );
  }
  const H = side ?? files[0].height;
  const W = side ?? files[0].width;
  const perFile = files.map((f) => cuts(f.height, f.width, opts));
  const count = perFile.reduce((a, c) => a + c.length, 0);
  if (count === 0) throw new Error(`${opts.inputs.join(", ")}: no tile fits any image`);
  const classes = [...new Set(files.map((f) => f.cls).filter((c) => c))];
  const stackClasses: string[] = [];
  const meta = writeDataset(
    opts.out,
    {
      kind: "pretrain",
      count,
      channels: opts.grey ? 1 : 3,
      height: H,
      width: W,
      seed: opts.seed,
      source:
        `pool of ${files.length} images from ${opts.inputs.join(", ")}` +
        `${opts.resize ? `, shorter side resized to ${opts.resize}` : ""}${opts.tile ? `, cut to ${opts.tile} px tiles` : ""}` +
        `${opts.grey ? ", grey" : ", RGB"}`,
    },
    (w) => {
      files.forEach((f, i) => {
        const raw = (() => {
          try {
            return readImageStack(f.path);
          } catch (e) {
            const msg = (e as Error).message;
            throw new Error(msg.includes(f.path) ? msg : `${f.path}: ${msg}`);
          }
        })();
        let img: Tensor;
        try {
          img = prepare(raw, f.height, f.width, opts.grey ?? false, f.path);
        } finally {
          raw.dispose();
        }
        try {
          for (const [y, x] of perFile[i]) {
            const cut = scope(() => img.narrow(1, y, H).narrow(2, x, W).contiguous());
            try {
              w.append({ image: cut });
            } catch (e) {
              throw new Error(`${f.path}: ${(e as Error).message}`);
            } finally {
              cut.dispose();
            }
            stackClasses.push(f.cls);
          }
        } finally {
          img.dispose();
        }
        opts.onProgress?.(i + 1, files.length);
      });
      if (classes.length)
        writeFileAtomic(
          join(w.dir, CLASS_FILE),
          `${JSON.stringify({ classes, stacks: stackClasses.map((c) => classes.indexOf(c)) })}\n`,
        );
    },
    opts.overwrite,
  );
  return { ...meta, stackClasses };
}
