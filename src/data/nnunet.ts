// nnU-Net (v2) raw datasets, both ways, so a lab can compare hemoseg with nnU-Net on one split.
//
// Layout: dataset.json ({"channel_names": {"0": ...}, "labels": {"background": 0, ...,
// "ignore": K}, "numTraining": N, "file_ending": ".tif"}), imagesTr/CASE_XXXX.ext (one file
// per channel, or one RGB file for channel names R, G, B), labelsTr/CASE.ext.
// - import: every case of labelsTr with its channel files; label values map to hemoseg classes
//   by the "labels" table, the "ignore" label to 255 (unlabelled); other values are refused.
// - export: a segmentation set as float32 single-page TIFFs (one per channel) and uint8 label
//   TIFFs (255 -> the "ignore" label K, the highest value, as nnU-Net requires); the test split
//   goes to imagesTs/ and labelsTs/, the train and validation splits to imagesTr/ with
//   splits_final.json holding that split as fold 0 (copy it into nnUNet_preprocessed/<dataset>/).
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeDirAtomic, writeFileAtomic } from "../io/atomic.js";
import { IMAGE_EXTENSIONS, readImageStack, readMaskFile } from "../io/image-file.js";
import { writeTiff } from "../io/tiff.js";
import { cat, scope, type Tensor, tensor } from "../torch/index.js";
import { type DatasetMeta, IGNORE_INDEX, openDataset, writeDataset } from "./dataset.js";
import { maskBytes } from "./import-steps.js";
import { applyConvention, type LabelConvention } from "./labels.js";

export interface NnunetDatasetJson {
  channel_names: Record<string, string>;
  labels: Record<string, number>;
  numTraining: number;
  file_ending: string;
  name?: string;
  description?: string;
}

/** Reads and checks dataset.json: classes by value, the ignore value, channels, file ending. */
export function readNnunetJson(dir: string): {
  json: NnunetDatasetJson;
  classes: string[];
  ignore?: number;
  channels: string[];
} {
  const file = join(dir, "dataset.json");
  if (!existsSync(file)) throw new Error(`${dir}: not an nnU-Net raw dataset (no dataset.json)`);
  let json: NnunetDatasetJson;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  const bad = (why: string): never => {
    throw new Error(`${file}: ${why}`);
  };
  const names = json.channel_names ?? (json as unknown as { modality?: Record<string, string> }).modality;
  if (!names || typeof names !== "object") bad('no "channel_names"');
  const channels = Object.keys(names)
    .sort((a, b) => Number(a) - Number(b))
    .map((k, i) =>
      Number(k) === i ? String(names[k]) : bad(`channel_names keys must be 0, 1, ...; found "${k}"`),
    );
  if (!json.labels || typeof json.labels !== "object") bad('no "labels"');
  let ignore: number | undefined;
  const byValue: string[] = [];
  for (const [name, v] of Object.entries(json.labels)) {
    if (!Number.isInteger(v))
      bad(
        `label "${name}" is ${JSON.stringify(v)}: region-based labels (lists) are not supported, only one value per class`,
      );
    if (name === "ignore") ignore = v;
    else if (byValue[v] !== undefined) bad(`labels "${byValue[v]}" and "${name}" share the value ${v}`);
    else byValue[v] = name;
  }
  for (let i = 0; i < byValue.length; i++)
    if (byValue[i] === undefined) bad(`labels must be consecutive from 0; no label has the value ${i}`);
  if (ignore !== undefined && ignore !== byValue.length)
    bad(`the "ignore" label must be the highest value (${byValue.length}), not ${ignore}`);
  if (typeof json.file_ending !== "string") bad('no "file_ending"');
  if (!(IMAGE_EXTENSIONS as readonly string[]).includes(json.file_ending.toLowerCase()))
    bad(
      `file_ending "${json.file_ending}" is not readable here (${IMAGE_EXTENSIONS.filter((e) => e !== ".npy" && e !== ".npz").join(", ")}); NIfTI is not supported`,
    );
  return { json, classes: byValue, ignore, channels };
}

export interface NnunetImportOptions {
  dir: string;
  out: string;
  seed?: number;
  overwrite?: boolean;
  /** Overrides the label table (rarely needed: dataset.json says it all). */
  labels?: LabelConvention;
  onProgress?: (done: number, total: number) => void;
}

export function importNnunet(opts: NnunetImportOptions): DatasetMeta {
  const { json, classes, ignore, channels } = readNnunetJson(opts.dir);
  const end = json.file_ending;
  const labelsDir = join(opts.dir, "labelsTr");
  const imagesDir = join(opts.dir, "imagesTr");
  for (const d of [labelsDir, imagesDir]) if (!existsSync(d)) throw new Error(`${d}: missing`);
  const cases = readdirSync(labelsDir)
    .filter((f) => f.endsWith(end) && !f.startsWith("."))
    .map((f) => f.slice(0, -end.length))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  if (cases.length === 0) throw new Error(`${labelsDir}: holds no ${end} label files`);
  const rgb = channels.length === 3 && channels.join() === "R,G,B";
  const channelFiles = (c: string) =>
    (rgb ? [0] : channels.map((_, i) => i)).map((i) =>
      join(imagesDir, `${c}_${String(i).padStart(4, "0")}${end}`),
    );
  for (const c of cases)
    for (const f of channelFiles(c))
      if (!existsSync(f)) throw new Error(`${f}: missing (case ${c} of ${labelsDir})`);
  const map = new Map<number, number>(classes.map((_, v) => [v, v]));
  if (ignore !== undefined) map.set(ignore, IGNORE_INDEX);
  const convention: LabelConvention =
    opts.labels && Object.values(opts.labels).some((v) => v !== undefined) ? opts.labels : { maskMap: map };
  const readCase = (c: string): Tensor => {
    const parts = channelFiles(c).map((f) => {
      try {
        return readImageStack(f);
      } catch (e) {
        const msg = (e as Error).message;
        throw new Error(msg.includes(f) ? msg : `${f}: ${msg}`);
      }
    });
    try {
      return scope(() =>
        cat(
          parts.map((p) => p.to("float32")),
          0,
        ),
      );
    } finally {
      for (const p of parts) p.dispose();
    }
  };
  const first = readCase(cases[0]);
  const [C, H, W] = first.shape;
  first.dispose();
  if (C !== channels.length)
    throw new Error(
      `${channelFiles(cases[0])[0]}: case ${cases[0]} has ${C} channels, dataset.json names ${channels.length}`,
    );
  return writeDataset(
    opts.out,
    {
      kind: "segmentation",
      count: cases.length,
      channels: C,
      height: H,
      width: W,
      classes,
      masks: true,
      seed: opts.seed,
      source: `nnU-Net raw dataset ${opts.dir}${json.name ? ` (${json.name})` : ""}; channels ${channels.join(", ")}`,
    },
    (w) => {
      cases.forEach((c, i) => {
        const labelFile = join(labelsDir, `${c}${end}`);
        const image = readCase(c);
        try {
          const s = image.shape;
          if (s[0] !== C || s[1] !== H || s[2] !== W)
            throw new Error(
              `${channelFiles(c)[0]}: case ${c} is [${s}], case ${cases[0]} is [${C},${H},${W}]`,
            );
          const m = readMaskFile(labelFile);
          let mask: Uint8Array;
          try {
            if (m.shape[0] !== H || m.shape[1] !== W)
              throw new Error(
                `${labelFile}: labels are ${m.shape[1]} x ${m.shape[0]}, the image ${W} x ${H}`,
              );
            mask = applyConvention(maskBytes(m, labelFile), convention, classes.length, labelFile, W);
          } finally {
            m.dispose();
          }
          w.append({ image, mask });
        } finally {
          image.dispose();
        }
        opts.onProgress?.(i + 1, cases.length);
      });
    },
    opts.overwrite,
  );
}

export interface NnunetExportOptions {
  /** A hemoseg segmentation dataset directory. */
  dataset: string;
  /** The nnU-Net raw dataset folder to write, e.g. nnUNet_raw/Dataset501_Blood. */
  out: string;
  overwrite?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export const caseName = (i: number) => `hemoseg_${String(i).padStart(4, "0")}`;

/** Writes a hemoseg segmentation set as an nnU-Net raw dataset; returns its dataset.json. */
export function exportNnunet(opts: NnunetExportOptions): NnunetDatasetJson {
  const ds = openDataset(opts.dataset);
  try {
    const m = ds.meta;
    if (!ds.masks)
      throw new Error(
        `${opts.dataset}: a ${m.kind} set has no labels to export; nnU-Net trains on labelled sets`,
      );
    if (existsSync(opts.out) && readdirSync(opts.out).length > 0 && !opts.overwrite)
      throw new Error(`${opts.out}: already exists and is not empty (pass overwrite to replace it)`);
    const K = m.classes.length;
    const labels: Record<string, number> = Object.fromEntries(m.classes.map((c, i) => [c, i]));
    const trainVal = [...m.split.train, ...m.split.val].sort((a, b) => a - b);
    let hasIgnore = false;
    const json: NnunetDatasetJson = {
      channel_names: Object.fromEntries(
        Array.from({ length: m.channels }, (_, c) => [String(c), `channel_${c}`]),
      ),
      labels,
      numTraining: trainVal.length,
      file_ending: ".tif",
      name: m.source ?? opts.dataset,
      description: `exported by hemoseg from ${opts.dataset}; 255 (unlabelled) is the "ignore" label ${K}`,
    };
    writeDirAtomic(opts.out, (tmp) => {
      const test = new Set(m.split.test);
      for (const d of ["imagesTr", "labelsTr", "imagesTs", "labelsTs"]) {
        if (d.endsWith("Ts") && test.size === 0) continue;
        mkdirSync(join(tmp, d));
      }
      for (let i = 0; i < m.count; i++) {
        const where = test.has(i) ? "Ts" : "Tr";
        const name = caseName(i);
        scope(() => {
          const img = ds.images.select(0, i);
          for (let c = 0; c < m.channels; c++)
            writeTiff(
              join(tmp, `images${where}`, `${name}_${String(c).padStart(4, "0")}.tif`),
              img.select(0, c).contiguous(),
            );
          const a = (ds.masks!.select(0, i).toTypedArray() as Uint8Array).slice();
          for (let k = 0; k < a.length; k++)
            if (a[k] === IGNORE_INDEX) {
              a[k] = K;
              hasIgnore = true;
            }
          writeTiff(join(tmp, `labels${where}`, `${name}.tif`), tensor(a, [m.height, m.width], "uint8"));
        });
        opts.onProgress?.(i + 1, m.count);
      }
      if (hasIgnore) labels.ignore = K;
      writeFileAtomic(join(tmp, "dataset.json"), `${JSON.stringify(json, null, 2)}\n`);
      const split = [{ train: m.split.train.map(caseName).sort(), val: m.split.val.map(caseName).sort() }];
      writeFileAtomic(join(tmp, "splits_final.json"), `${JSON.stringify(split, null, 2)}\n`);
    });
    return json;
  } finally {
    ds.close();
  }
}
