// The `import` command's sources beyond plain image/mask folders: annotations (boxes, polygons,
// points), image pools, nnU-Net raw sets; label conventions; the progress bar and the summary.
import type { Command } from "commander";
import { importAnnotated, parseClassMap } from "../../data/annotated-import.js";
import type { AnnotationFormat } from "../../data/annotations/index.js";
import { BOX_RULES, type BoxRule } from "../../data/box-rules.js";
import type { LabelConvention } from "../../data/labels.js";
import { parseMaskMap } from "../../data/labels.js";
import { importPool } from "../../data/pool-import.js";
import { formatSummary, summarise } from "../../data/summary.js";
import { type OmeSelection, parsePlanes } from "../../io/ome-tiff.js";
import { Progress } from "../../train/progress.js";
import { writeLabelPreview, writeRulePicture } from "../../viz/label-preview.js";
import { UsageError } from "../common.js";
import { intOption } from "../numeric.js";

export interface ImportSourceOpts {
  annotations?: string;
  format?: string;
  classMap?: string;
  boxRule: string;
  pointRadius: number;
  preview?: string;
  unlabelled?: number;
  maskMap?: string;
  dense?: boolean;
  pool?: string[];
  resize?: number;
  tile?: number;
  grey?: boolean;
  nnunet?: string;
  omeZ?: string;
  omeC?: string;
  omeT?: string;
  level?: number;
}

/** Adds the options; the plain --images/--masks ones stay with the command. */
export function importSourceOptions(cmd: Command): Command {
  return cmd
    .option(
      "--annotations <path>",
      "object annotations for --images: VOC .xml folder, YOLO .txt folder, COCO .json or CSV",
    )
    .option("--format <format>", "annotation format: voc, yolo, coco or csv (default: from --annotations)")
    .option(
      "--class-map <map>",
      'annotation classes to class names, "RBC:red blood cell,WBC:white blood cell" ("X:-" drops X)',
    )
    .option("--box-rule <rule>", `how a box becomes labelled pixels: ${BOX_RULES.join(", ")}`, "centre-disc")
    .addOption(
      intOption("--point-radius <px>", "radius of the disc each annotated point labels", { min: 0 }, 3),
    )
    .option("--preview <dir>", "write pictures of the first stacks with their labels, and of the box rules")
    .addOption(
      intOption("--unlabelled <value>", 'mask value that means "not labelled" (napari, cellpose: 0)', {
        min: 0,
        max: 255,
      }),
    )
    .option("--mask-map <map>", 'mask values to labels, "0:255,128:1,255:2" (255 = unlabelled)')
    .option("--dense", "masks label every pixel (0 is a class): no unlabelled value")
    .option(
      "--pool <dirs...>",
      "folders of images, or of class folders (PBC), as an unlabelled pre-training pool",
    )
    .addOption(
      intOption(
        "--resize <px>",
        "pool: scale each image's shorter side to this, then keep the centred square",
        { min: 1 },
      ),
    )
    .addOption(intOption("--tile <px>", "pool: cut square tiles of this size", { min: 1 }))
    .option("--grey", "pool: one grey channel instead of RGB")
    .option("--nnunet <dir>", "import an nnU-Net raw dataset (dataset.json, imagesTr/, labelsTr/)")
    .option("--ome-z <planes>", "OME-TIFF/OME-Zarr: Z planes to keep, N, N,M or all (they become channels)")
    .option("--ome-c <planes>", "OME-TIFF/OME-Zarr: channels to keep (default all)")
    .option("--ome-t <planes>", "OME-TIFF/OME-Zarr: time points to keep (they become channels)")
    .addOption(
      intOption("--level <n>", "OME-Zarr: resolution level to read (0 = full resolution)", { min: 0 }),
    );
}

/** The label convention the options give, or an error naming the option. */
export function conventionOf(o: ImportSourceOpts): LabelConvention {
  return {
    unlabelled: o.unlabelled,
    maskMap: o.maskMap !== undefined ? parseMaskMap(o.maskMap) : undefined,
    dense: o.dense,
  };
}

/** The OME plane choice the options give. */
export function omeOf(o: ImportSourceOpts): OmeSelection {
  const p = (v: string | undefined, opt: string) => {
    if (v === undefined) return undefined;
    try {
      return parsePlanes(v, opt);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  };
  return { z: p(o.omeZ, "--ome-z"), c: p(o.omeC, "--ome-c"), t: p(o.omeT, "--ome-t") };
}

/** A progress bar on stderr for imports of at least `min` files. */
export function importProgress(label: string, min = 20): (done: number, total: number) => void {
  let bar: Progress | undefined;
  return (done, total) => {
    if (total < min) return;
    bar ??= new Progress({ total, label, unit: "files" });
    bar.tick(1, 1);
    if (done === total) bar.done();
  };
}

/** Runs an annotations, pool or nnU-Net import if the options ask for one; false otherwise. */
export function runImportSource(
  o: ImportSourceOpts & {
    images?: string;
    masks?: string;
    out: string;
    classes?: string[];
    seed: number;
    overwrite: boolean;
  },
  nnunet: (dir: string, convention: LabelConvention, progress: (d: number, t: number) => void) => void,
): boolean {
  const sources = [
    o.annotations && "--annotations",
    o.pool && "--pool",
    o.nnunet && "--nnunet",
    o.masks && "--masks",
  ].filter(Boolean);
  if (sources.length > 1) throw new UsageError(`${sources.join(" and ")} are different imports: give one`);
  if (!BOX_RULES.includes(o.boxRule as BoxRule))
    throw new UsageError(`--box-rule must be one of ${BOX_RULES.join(", ")}, not '${o.boxRule}'`);
  if ((o.resize || o.tile || o.grey) && !o.pool)
    throw new UsageError("--resize, --tile and --grey shape a --pool");
  const progress = importProgress("import");
  if (o.annotations) {
    if (!o.images) throw new UsageError("--annotations needs --images (the images they annotate)");
    if (o.format && !["voc", "yolo", "coco", "csv"].includes(o.format))
      throw new UsageError(`--format must be voc, yolo, coco or csv, not '${o.format}'`);
    importAnnotated({
      images: o.images,
      annotations: o.annotations,
      format: o.format as AnnotationFormat | undefined,
      out: o.out,
      classes: o.classes,
      classMap: o.classMap ? parseClassMap(o.classMap) : undefined,
      rule: o.boxRule as BoxRule,
      pointRadius: o.pointRadius,
      seed: o.seed,
      overwrite: o.overwrite,
      onProgress: progress,
    });
  } else if (o.pool) {
    if (o.images) throw new UsageError("--pool takes the folders itself: drop --images");
    importPool({
      inputs: o.pool,
      out: o.out,
      resize: o.resize,
      tile: o.tile,
      grey: o.grey,
      seed: o.seed,
      overwrite: o.overwrite,
      onProgress: progress,
    });
  } else if (o.nnunet) {
    nnunet(o.nnunet, conventionOf(o), progress);
  } else {
    return false;
  }
  return true;
}

/** Prints the summary of an imported dataset, and writes the preview if asked. */
export function reportImport(out: string, seconds: number, preview?: string): void {
  for (const line of formatSummary(summarise(out), seconds)) console.log(line);
  if (preview) {
    const paths = [...writeLabelPreviewIfLabelled(out, preview), writeRulePicture(preview)];
    console.log(`preview: ${paths.length} PNGs in ${preview}`);
  }
}

function writeLabelPreviewIfLabelled(out: string, preview: string): string[] {
  try {
    return writeLabelPreview(out, preview);
  } catch (e) {
    if ((e as Error).message.includes("has no labels")) return [];
    throw e;
  }
}
