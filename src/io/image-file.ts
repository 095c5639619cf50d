// One image stack or mask from any supported file, chosen by extension: the entry point importers use.
import { extname } from "node:path";
import { isFloating, scope, type Tensor, tensor } from "../torch/index.js";
import { readBmp } from "./bmp.js";
import { readJpeg } from "./jpeg.js";
import { readNpy } from "./npy.js";
import { listNpz, readNpz } from "./npz.js";
import { isOmeTiffName, type OmeSelection, readOmeTiff } from "./ome-tiff.js";
import { type PngImage, readPng } from "./png.js";
import { readTiff } from "./tiff.js";

export const IMAGE_EXTENSIONS = [".npy", ".npz", ".tif", ".tiff", ".png", ".jpg", ".jpeg", ".bmp"] as const;

/** 8-bit interleaved samples (H, W, C) -> a (C, H, W) uint8 tensor. */
function hwcStack(data: Uint8Array, height: number, width: number, channels: number): Tensor {
  return scope(() => tensor(data, [height, width, channels], "uint8").permute(2, 0, 1).contiguous());
}

function unsupported(path: string): never {
  throw new Error(
    `${path}: unsupported file type '${extname(path)}' (supported: ${IMAGE_EXTENSIONS.join(", ")})`,
  );
}

/** The array of an .npz: its only one, or the first of `preferred` it holds. */
function npzArray(path: string, preferred: string[]): Tensor {
  const names = listNpz(path);
  const name = names.length === 1 ? names[0] : preferred.find((p) => names.includes(p));
  if (name === undefined) {
    const which = names.length ? `arrays ${names.join(", ")}` : "no arrays";
    throw new Error(
      `${path}: holds ${which}; expected a single array or one named ${preferred.join(" or ")}`,
    );
  }
  return readNpz(path, [name])[name];
}

/** (H, W) -> (1, H, W); (C, H, W) as is; anything else is an error naming the file. */
function asStack(t: Tensor, path: string): Tensor {
  if (t.ndim === 3) return t;
  if (t.ndim !== 2) {
    const shape = t.shape;
    t.dispose();
    throw new Error(`${path}: an image must be (H, W) or (C, H, W), got shape [${shape}]`);
  }
  try {
    return t.reshape([1, ...t.shape]);
  } finally {
    t.dispose();
  }
}

/** Palette indices -> RGB triples. */
function expandPalette(img: PngImage, path: string): Uint8Array {
  const pal = img.palette!;
  const out = new Uint8Array(img.data.length * 3);
  for (let i = 0; i < img.data.length; i++) {
    const k = img.data[i] * 3;
    if (k + 3 > pal.length)
      throw new Error(`${path}: pixel ${i} uses palette entry ${k / 3} of ${pal.length / 3}`);
    out[3 * i] = pal[k];
    out[3 * i + 1] = pal[k + 1];
    out[3 * i + 2] = pal[k + 2];
  }
  return out;
}

/** A PNG as (C, H, W): palette images expanded to RGB, alpha dropped; 16-bit samples as int32. */
function pngStack(img: PngImage, path: string): Tensor {
  const { width: W, height: H } = img;
  const rgb = img.palette ? expandPalette(img, path) : null;
  const C = rgb ? 3 : img.channels;
  const keep = rgb ? 3 : C === 2 || C === 4 ? C - 1 : C;
  return scope(() => {
    const hwc = rgb
      ? tensor(rgb, [H, W, 3], "uint8")
      : img.data instanceof Uint16Array
        ? tensor(Int32Array.from(img.data), [H, W, C], "int32")
        : tensor(img.data, [H, W, C], "uint8");
    return hwc.permute(2, 0, 1).narrow(0, 0, keep).contiguous();
  });
}

/**
 * Reads one image stack as (C, H, W) in its stored dtype: .npy/.npz arrays of (H, W) or (C, H, W)
 * (an .npz's single array, or the one named "image" or "arr_0"), TIFF pages times samples as
 * channels, PNG channels (palette expanded to RGB, alpha dropped), JPEG (baseline or progressive)
 * and BMP as 8-bit grey or RGB. An .ome.tif(f) gives the OME planes `o.ome` chooses (ome-tiff.ts).
 */
export function readImageStack(path: string, o: { ome?: OmeSelection } = {}): Tensor {
  if (isOmeTiffName(path)) return readOmeTiff(path, o.ome);
  switch (extname(path).toLowerCase()) {
    case ".npy":
      return asStack(readNpy(path), path);
    case ".npz":
      return asStack(npzArray(path, ["image", "arr_0"]), path);
    case ".tif":
    case ".tiff":
      return readTiff(path);
    case ".png":
      return pngStack(readPng(path), path);
    case ".jpg":
    case ".jpeg": {
      const j = readJpeg(path);
      return hwcStack(j.data, j.height, j.width, j.channels);
    }
    case ".bmp": {
      const b = readBmp(path);
      return hwcStack(b.data, b.height, b.width, b.channels);
    }
    default:
      return unsupported(path);
  }
}

/** Integer class values 0..255 as uint8, or an error naming the file. */
function asMaskValues(t: Tensor, path: string): Tensor {
  if (t.dtype === "uint8") return t;
  try {
    return scope(() => {
      if (t.dtype !== "bool" && t.numel > 0) {
        const lo = t.min().item();
        const hi = t.max().item();
        if (!(lo >= 0 && hi <= 255)) throw new Error(`${path}: mask values ${lo}..${hi} lie outside 0..255`);
        if (isFloating(t.dtype) && !t.eq(t.round()).all().item()) {
          throw new Error(`${path}: mask values must be whole class numbers, found fractions`);
        }
      }
      return t.to("uint8");
    });
  } finally {
    t.dispose();
  }
}

/** A mask stored as (H, W) or (1, H, W) -> (H, W). */
function asPlane(t: Tensor, path: string): Tensor {
  if (t.ndim === 2) return t;
  const shape = t.shape;
  if (t.ndim === 3 && shape[0] === 1) {
    try {
      return t.reshape(shape.slice(1));
    } finally {
      t.dispose();
    }
  }
  t.dispose();
  throw new Error(`${path}: a mask must be (H, W) or (1, H, W), got shape [${shape}]`);
}

/**
 * Reads a label mask as (H, W) uint8: a greyscale or palette-indexed PNG (palette indices are the
 * classes), a grey or palette BMP (grey levels, or palette indices for a colour palette), or a
 * single-plane .npy/.npz (the single array, or "mask"/"arr_0") or TIFF of integers. JPEG masks
 * are refused: their values are no longer exact.
 */
export function readMaskFile(path: string): Tensor {
  switch (extname(path).toLowerCase()) {
    case ".png": {
      const img = readPng(path);
      if (img.channels !== 1) {
        throw new Error(
          `${path}: a mask PNG must be greyscale or palette-indexed, this one has ${img.channels} channels`,
        );
      }
      const t =
        img.data instanceof Uint16Array
          ? tensor(Int32Array.from(img.data), [img.height, img.width], "int32")
          : tensor(img.data, [img.height, img.width], "uint8");
      return asMaskValues(t, path);
    }
    case ".npy":
      return asMaskValues(asPlane(readNpy(path), path), path);
    case ".npz":
      return asMaskValues(asPlane(npzArray(path, ["mask", "arr_0"]), path), path);
    case ".tif":
    case ".tiff":
      return asMaskValues(asPlane(readTiff(path), path), path);
    case ".bmp": {
      const b = readBmp(path);
      if (b.indices && !b.greyPalette) return tensor(b.indices, [b.height, b.width], "uint8");
      if (!b.grey)
        throw new Error(
          `${path}: a mask BMP must be grey or palette-indexed; this one has colours (R, G, B differ)`,
        );
      const v = b.channels === 1 ? b.data : b.data.filter((_, i) => i % 3 === 0);
      return tensor(v, [b.height, b.width], "uint8");
    }
    case ".jpg":
    case ".jpeg":
      throw new Error(
        `${path}: JPEG is lossy, so a mask stored as JPEG no longer holds its exact label values; save masks as PNG, TIFF or BMP`,
      );
    default:
      return unsupported(path);
  }
}
