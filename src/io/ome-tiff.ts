// OME-TIFF: a TIFF whose first ImageDescription is OME-XML saying what each page is (Z, C, T
// planes in DimensionOrder, or explicit TiffData entries) and the physical pixel size. Planes are
// chosen by option and become the channels of one stack, T outermost, then Z, then C; a file with
// several Z or T planes is refused until the choice is made (no plane is dropped silently).
import { XMLParser } from "fast-xml-parser";
import { cat, scope, type Tensor } from "../torch/index.js";
import { readTiff, readTiffDescription } from "./tiff.js";

export interface OmeInfo {
  sizeX: number;
  sizeY: number;
  sizeZ: number;
  sizeC: number;
  sizeT: number;
  dimensionOrder: string;
  /** Samples per pixel of each page (3 for RGB pages). */
  samplesPerPixel: number;
  channelNames: string[];
  /** Physical size of a pixel, where the file gives one. */
  pixelSize?: { x: number; y: number; unit: string };
  /** Page index of plane (z, c, t) with c counted in pages (c / samplesPerPixel). */
  pageOf: (z: number, c: number, t: number) => number;
}

/** Which planes to keep: an index, a list, or all; undefined means "the only one". */
export interface OmeSelection {
  z?: number[] | "all";
  t?: number[] | "all";
  c?: number[] | "all";
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", removeNSPrefix: true });
const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export const isOmeTiffName = (path: string): boolean => /\.ome\.tiff?$/i.test(path);

export function parseOmeXml(xml: string, file: string): OmeInfo {
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: OME-XML does not parse: ${(e as Error).message.split("\n")[0]}`);
  }
  const ome = doc.OME as Record<string, unknown> | undefined;
  const image = asList(ome?.Image as Record<string, unknown> | undefined)[0] as
    | Record<string, unknown>
    | undefined;
  const px = image?.Pixels as Record<string, string | unknown> | undefined;
  if (!px) throw new Error(`${file}: ImageDescription is not OME-XML with an <Image><Pixels> element`);
  const int = (k: string, dflt?: number) => {
    const v = px[k] === undefined ? dflt : Number(px[k]);
    if (!Number.isInteger(v) || (v as number) < 1)
      throw new Error(`${file}: OME-XML Pixels ${k}="${px[k]}" is not a positive integer`);
    return v as number;
  };
  const [sizeX, sizeY, sizeZ, sizeC, sizeT] = ["SizeX", "SizeY", "SizeZ", "SizeC", "SizeT"].map((k) =>
    int(k, 1),
  );
  const dimensionOrder = String(px.DimensionOrder ?? "XYZCT");
  if (!/^XY[ZCT]{3}$/.test(dimensionOrder) || new Set(dimensionOrder).size !== 5)
    throw new Error(`${file}: OME-XML DimensionOrder "${dimensionOrder}" is not XY followed by Z, C and T`);
  const channels = asList(px.Channel as Record<string, string>[]);
  const samplesPerPixel = Number(channels[0]?.SamplesPerPixel ?? 1);
  if (!(sizeC % samplesPerPixel === 0))
    throw new Error(`${file}: SizeC ${sizeC} is not a multiple of SamplesPerPixel ${samplesPerPixel}`);
  const pagesC = sizeC / samplesPerPixel;
  const sizes: Record<string, number> = { Z: sizeZ, C: pagesC, T: sizeT };
  // default: pages in DimensionOrder, the first letter after XY varying fastest
  const order = dimensionOrder.slice(2).split("");
  const byOrder = (z: number, c: number, t: number) => {
    const at: Record<string, number> = { Z: z, C: c, T: t };
    let idx = 0;
    for (let k = order.length - 1; k >= 0; k--) idx = idx * sizes[order[k]] + at[order[k]];
    return idx;
  };
  const explicit = new Map<string, number>();
  for (const td of asList(px.TiffData as Record<string, string>[])) {
    const count = Number(td.PlaneCount ?? 1);
    if (count !== 1 || td.FirstZ === undefined) continue; // one block of all planes = the default order
    explicit.set(`${td.FirstZ ?? 0},${td.FirstC ?? 0},${td.FirstT ?? 0}`, Number(td.IFD ?? 0));
  }
  const pageOf = (z: number, c: number, t: number) => explicit.get(`${z},${c},${t}`) ?? byOrder(z, c, t);
  const sx = px.PhysicalSizeX === undefined ? undefined : Number(px.PhysicalSizeX);
  const sy = px.PhysicalSizeY === undefined ? sx : Number(px.PhysicalSizeY);
  const unit = String(px.PhysicalSizeXUnit ?? "µm");
  return {
    sizeX,
    sizeY,
    sizeZ,
    sizeC,
    sizeT,
    dimensionOrder,
    samplesPerPixel,
    channelNames: channels.map((ch, i) => String(ch.Name ?? `C${i}`)),
    pixelSize:
      sx !== undefined && Number.isFinite(sx) && Number.isFinite(sy)
        ? { x: sx, y: sy as number, unit }
        : undefined,
    pageOf,
  };
}

export function readOmeInfo(path: string): OmeInfo {
  const xml = readTiffDescription(path);
  if (!xml?.includes("<OME")) throw new Error(`${path}: named .ome.tif but its first page holds no OME-XML`);
  return parseOmeXml(xml, path);
}

/** Parses "all", "3" or "0,2,5" for --ome-z/-c/-t. */
export function parsePlanes(v: string, option: string): number[] | "all" {
  if (v === "all") return "all";
  const list = v.split(",").map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 0))
    throw new Error(`${option}: "${v}" is not "all" or plane numbers like 0,2`);
  return list;
}

function choose(sel: number[] | "all" | undefined, size: number, axis: string, file: string): number[] {
  const opt = `--ome-${axis.toLowerCase()}`;
  if (sel === undefined) {
    if (size === 1) return [0];
    throw new Error(
      `${file}: has ${size} ${axis} planes; choose with ${opt} N (one plane), ${opt} 0,2 or ${opt} all (they become channels)`,
    );
  }
  if (sel === "all") return Array.from({ length: size }, (_, i) => i);
  const bad = sel.find((i) => i >= size);
  if (bad !== undefined)
    throw new Error(`${file}: ${opt} ${bad}: it has ${size} ${axis} planes (0..${size - 1})`);
  return sel;
}

/** The chosen planes of an OME-TIFF as one (channels, H, W) stack, T outermost, then Z, then C. */
export function readOmeTiff(path: string, sel: OmeSelection = {}): Tensor {
  const info = readOmeInfo(path);
  const spp = info.samplesPerPixel;
  const zs = choose(sel.z, info.sizeZ, "Z", path);
  const ts = choose(sel.t, info.sizeT, "T", path);
  const cs = choose(sel.c ?? "all", info.sizeC, "C", path);
  const all = readTiff(path);
  try {
    const pages = all.shape[0] / spp;
    const want = info.sizeZ * info.sizeT * (info.sizeC / spp);
    if (pages < want)
      throw new Error(`${path}: OME-XML describes ${want} planes, the TIFF holds ${pages} pages`);
    if (all.shape[1] !== info.sizeY || all.shape[2] !== info.sizeX)
      throw new Error(
        `${path}: OME-XML says ${info.sizeX} x ${info.sizeY}, the pages are ${all.shape[2]} x ${all.shape[1]}`,
      );
    return scope(() => {
      const parts: Tensor[] = [];
      for (const t of ts)
        for (const z of zs)
          for (const c of cs) {
            const page = info.pageOf(z, Math.floor(c / spp), t);
            parts.push(all.narrow(0, page * spp + (c % spp), 1));
          }
      return cat(parts, 0);
    });
  } finally {
    all.dispose();
  }
}
