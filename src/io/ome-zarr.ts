// OME-Zarr (NGFF 0.4 on Zarr v2, 0.5 on Zarr v3) multiscale images through zarrita, which reads
// both Zarr versions and their codecs (blosc, zstd, gzip, zlib, ...). One resolution level is
// read (0 = full resolution, or --level), and only the region asked for: the chunks it touches,
// so an image larger than memory can be cut into tiles without ever being whole.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import FileSystemStore from "@zarrita/storage/fs";
import * as zarr from "zarrita";
import type { OmeSelection } from "./ome-tiff.js";

export interface NgffAxis {
  name: string;
  type?: string;
  unit?: string;
}

export interface OmeZarrImage {
  path: string;
  version: string;
  axes: NgffAxis[];
  /** Shape of the chosen level, one entry per axis. */
  shape: number[];
  level: number;
  levels: number;
  /** y and x pixel size at this level, with the unit of the x axis. */
  pixelSize?: { x: number; y: number; unit: string };
  arr: zarr.Array<zarr.DataType, FileSystemStore>;
}

const isZarr = (p: string) =>
  existsSync(join(p, "zarr.json")) || existsSync(join(p, ".zattrs")) || existsSync(join(p, ".zgroup"));
export const isOmeZarr = (p: string): boolean => isZarr(p);

/** The group's "multiscales" (v0.5 under attributes.ome, v0.4 in .zattrs). */
function multiscalesOf(path: string): { version: string; ms: Record<string, unknown> } {
  const read = (f: string) => {
    try {
      return JSON.parse(readFileSync(f, "utf8"));
    } catch (e) {
      throw new Error(`${f}: not valid JSON: ${(e as Error).message}`);
    }
  };
  let attrs: Record<string, unknown> | undefined;
  let version = "0.4";
  if (existsSync(join(path, "zarr.json"))) {
    const g = read(join(path, "zarr.json"));
    const ome = g.attributes?.ome;
    attrs = ome ?? g.attributes;
    version = String(ome?.version ?? "0.5");
  } else if (existsSync(join(path, ".zattrs"))) {
    attrs = read(join(path, ".zattrs"));
  }
  const list = attrs?.multiscales;
  if (!Array.isArray(list) || list.length === 0)
    throw new Error(`${path}: not an OME-Zarr image (no "multiscales" in its group attributes)`);
  const ms = list[0] as Record<string, unknown>;
  return { version: String(ms.version ?? version), ms };
}

export async function openOmeZarr(path: string, level = 0): Promise<OmeZarrImage> {
  if (!isZarr(path)) throw new Error(`${path}: not a Zarr group (no zarr.json, .zattrs or .zgroup)`);
  const { version, ms } = multiscalesOf(path);
  const axes = (ms.axes as (NgffAxis | string)[] | undefined)?.map((a) =>
    typeof a === "string" ? { name: a } : a,
  ) ?? [{ name: "t" }, { name: "c" }, { name: "z" }, { name: "y" }, { name: "x" }];
  const names = axes.map((a) => a.name);
  if (names[names.length - 1] !== "x" || names[names.length - 2] !== "y")
    throw new Error(`${path}: axes ${names.join(",")} do not end with y, x`);
  const datasets = ms.datasets as {
    path: string;
    coordinateTransformations?: { type: string; scale?: number[] }[];
  }[];
  if (!Array.isArray(datasets) || datasets.length === 0)
    throw new Error(`${path}: multiscales lists no datasets`);
  if (!(Number.isInteger(level) && level >= 0 && level < datasets.length))
    throw new Error(`${path}: --level ${level}: it has levels 0..${datasets.length - 1}`);
  const ds = datasets[level];
  const store = new FileSystemStore(path);
  let arr: zarr.Array<zarr.DataType, FileSystemStore>;
  try {
    arr = await zarr.open(zarr.root(store).resolve(ds.path), { kind: "array" });
  } catch (e) {
    throw new Error(`${join(path, ds.path)}: cannot open level ${level}: ${(e as Error).message}`);
  }
  if (arr.shape.length !== axes.length)
    throw new Error(
      `${join(path, ds.path)}: has ${arr.shape.length} dimensions, the axes name ${axes.length}`,
    );
  const scale = ds.coordinateTransformations?.find((t) => t.type === "scale")?.scale;
  const n = axes.length;
  const pixelSize = scale
    ? { x: scale[n - 1], y: scale[n - 2], unit: axes[n - 1].unit ?? "pixel" }
    : undefined;
  return { path, version, axes, shape: arr.shape, level, levels: datasets.length, pixelSize, arr };
}

/** The indices of axis `name` to read: all channels by default; Z and T must be chosen when > 1. */
function planes(img: OmeZarrImage, name: string, sel: number[] | "all" | undefined): number[] {
  const i = img.axes.findIndex((a) => a.name === name);
  if (i < 0) return [-1];
  const size = img.shape[i];
  const opt = `--ome-${name}`;
  if (sel === undefined) {
    if (size === 1 || name === "c") return Array.from({ length: size }, (_, k) => k);
    throw new Error(
      `${img.path}: has ${size} ${name.toUpperCase()} planes; choose with ${opt} N, ${opt} 0,2 or ${opt} all (they become channels)`,
    );
  }
  if (sel === "all") return Array.from({ length: size }, (_, k) => k);
  const bad = sel.find((k) => k >= size);
  if (bad !== undefined)
    throw new Error(
      `${img.path}: ${opt} ${bad}: it has ${size} ${name.toUpperCase()} planes (0..${size - 1})`,
    );
  return sel;
}

/** Channels a selection gives (T outermost, then Z, then C). */
export function omeZarrChannels(img: OmeZarrImage, sel: OmeSelection): number {
  return planes(img, "t", sel.t).length * planes(img, "z", sel.z).length * planes(img, "c", sel.c).length;
}

/** Reads rows y0..y1, columns x0..x1 of the chosen planes as float32 (channels, h, w). */
export async function readOmeZarrRegion(
  img: OmeZarrImage,
  sel: OmeSelection,
  y0: number,
  y1: number,
  x0: number,
  x1: number,
): Promise<Float32Array> {
  const ts = planes(img, "t", sel.t);
  const zs = planes(img, "z", sel.z);
  const cs = planes(img, "c", sel.c);
  const h = y1 - y0;
  const w = x1 - x0;
  const out = new Float32Array(ts.length * zs.length * cs.length * h * w);
  let k = 0;
  for (const t of ts)
    for (const z of zs)
      for (const c of cs) {
        const at: Record<string, number> = { t, z, c };
        const selection = img.axes.map((a) =>
          a.name === "y" ? zarr.slice(y0, y1) : a.name === "x" ? zarr.slice(x0, x1) : (at[a.name] ?? 0),
        );
        let chunk: { data: ArrayLike<number | bigint>; shape: number[]; stride: number[] };
        try {
          chunk = (await zarr.get(img.arr, selection)) as typeof chunk;
        } catch (e) {
          throw new Error(`${img.path}: reading level ${img.level}: ${(e as Error).message}`);
        }
        const [sy, sx] = chunk.stride;
        const data = chunk.data;
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) out[k * h * w + y * w + x] = Number(data[y * sy + x * sx]);
        k++;
      }
  return out;
}
