// `hemoseg import --images X.zarr`: OME-Zarr images (one .zarr, or a folder of them) as an
// unlabelled set, whole (all images one size) or cut into --tile squares read region by region,
// so no image has to fit in memory. All or nothing, like every import.
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { OmeSelection } from "../io/ome-tiff.js";
import {
  isOmeZarr,
  type OmeZarrImage,
  omeZarrChannels,
  openOmeZarr,
  readOmeZarrRegion,
} from "../io/ome-zarr.js";
import { checkOutDir, commitDir, type DatasetMeta, DatasetWriter, partialDirFor } from "./dataset.js";
import { cuts } from "./pool-import.js";

export interface OmeZarrImportOptions {
  /** .zarr images, or folders holding them. */
  inputs: string[];
  out: string;
  level?: number;
  ome?: OmeSelection;
  tile?: number;
  seed?: number;
  overwrite?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** The .zarr images among the inputs (a folder that is no Zarr group is searched one level down). */
export function listOmeZarr(inputs: string[]): string[] {
  const out: string[] = [];
  for (const p of inputs) {
    if (!statSync(p, { throwIfNoEntry: false })?.isDirectory())
      throw new Error(`${p}: no such folder (an OME-Zarr image is a folder)`);
    if (isOmeZarr(p)) {
      out.push(p);
      continue;
    }
    const found = readdirSync(p)
      .filter((f) => !f.startsWith(".") && isOmeZarr(join(p, f)))
      .sort((a, b) => a.localeCompare(b, "en", { numeric: true }))
      .map((f) => join(p, f));
    if (found.length === 0) throw new Error(`${p}: neither an OME-Zarr image nor a folder of them`);
    out.push(...found);
  }
  return out;
}

export async function importOmeZarr(opts: OmeZarrImportOptions): Promise<DatasetMeta> {
  const sel = opts.ome ?? {};
  const paths = listOmeZarr(opts.inputs);
  const images: OmeZarrImage[] = [];
  for (const p of paths) images.push(await openOmeZarr(p, opts.level ?? 0));
  const hw = (im: OmeZarrImage) => im.shape.slice(-2) as [number, number];
  const first = images[0];
  const C = omeZarrChannels(first, sel);
  const plans = images.map((im) => {
    const [h, w] = hw(im);
    const c = omeZarrChannels(im, sel);
    if (c !== C) throw new Error(`${im.path}: gives ${c} channels, ${first.path} gives ${C}`);
    const ps = im.pixelSize;
    const p0 = first.pixelSize;
    if (ps && p0 && (ps.x !== p0.x || ps.y !== p0.y || ps.unit !== p0.unit))
      throw new Error(
        `${im.path}: pixels are ${ps.x} x ${ps.y} ${ps.unit}, ${first.path} has ${p0.x} x ${p0.y} ${p0.unit}`,
      );
    if (!opts.tile && (h !== hw(first)[0] || w !== hw(first)[1]))
      throw new Error(
        `${im.path}: is ${w} x ${h}, ${first.path} is ${hw(first)[1]} x ${hw(first)[0]}; give --tile to cut them to one size`,
      );
    if (opts.tile && (h < opts.tile || w < opts.tile))
      throw new Error(`${im.path}: is ${w} x ${h}, smaller than a ${opts.tile} px tile`);
    return cuts(h, w, { tile: opts.tile });
  });
  const [H, W] = opts.tile ? [opts.tile, opts.tile] : hw(first);
  const count = plans.reduce((a, p) => a + p.length, 0);
  checkOutDir(opts.out, opts.overwrite);
  const tmp = partialDirFor(opts.out);
  rmSync(tmp, { recursive: true, force: true });
  const writer = new DatasetWriter(tmp, {
    kind: "pretrain",
    count,
    channels: C,
    height: H,
    width: W,
    seed: opts.seed,
    pixelSize: first.pixelSize,
    source: `OME-Zarr ${first.version} images ${opts.inputs.join(", ")}, level ${opts.level ?? 0}${opts.tile ? `, ${opts.tile} px tiles` : ""}`,
  });
  try {
    for (let i = 0; i < images.length; i++) {
      for (const [y, x] of plans[i]) {
        const px = await readOmeZarrRegion(images[i], sel, y, y + H, x, x + W);
        try {
          writer.append({ image: px });
        } catch (e) {
          throw new Error(`${images[i].path}: tile at row ${y}, column ${x}: ${(e as Error).message}`);
        }
      }
      opts.onProgress?.(i + 1, images.length);
    }
    const meta = writer.finish();
    commitDir(tmp, opts.out);
    return meta;
  } catch (e) {
    writer.abort();
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
