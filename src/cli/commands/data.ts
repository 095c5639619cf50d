// hemoseg synth / import: make dataset directories from built-in synthetic data or from files.
import { join } from "node:path";
import type { Command } from "commander";
import { importBloodCells } from "../../data/blood-cells.js";
import type { DatasetMeta } from "../../data/dataset.js";
import { importDataset } from "../../data/import.js";
import { importNnunet } from "../../data/nnunet.js";
import { importOmeZarr, listOmeZarr } from "../../data/ome-zarr-import.js";
import { synthDatasets } from "../../data/synth-datasets.js";
import { synthStack, writePreview } from "../../synth/index.js";
import { type CommonOptions, list, UsageError, withCommon } from "../common.js";
import { floatOption, intOption } from "../numeric.js";
import {
  conventionOf,
  type ImportSourceOpts,
  importProgress,
  importSourceOptions,
  omeOf,
  reportImport,
  runImportSource,
} from "./import-sources.js";

const describe = (dir: string, m: DatasetMeta) =>
  `${dir}: ${m.kind}, ${m.count} x ${m.channels} x ${m.height} x ${m.width}, split ${m.split.train.length}/${m.split.val.length}/${m.split.test.length}` +
  (m.classes.length ? `, ${m.classes.length} classes` : "");

interface SynthOpts extends CommonOptions {
  out: string;
  stacks: number;
  tiles: number;
  channels: number;
  labelFraction: number;
  preview?: string;
  overwrite: boolean;
}

interface ImportOpts extends CommonOptions, ImportSourceOpts {
  images?: string;
  masks?: string;
  out: string;
  classes?: string[];
  kind?: "pretrain" | "segmentation";
  bloodCells?: string;
  overwrite: boolean;
}

/** An OME-Zarr image or a folder of them (not a folder of plain image files). */
function isZarrInput(path: string): boolean {
  try {
    return listOmeZarr([path]).length > 0;
  } catch {
    return false;
  }
}

export function registerData(program: Command): void {
  withCommon(program.command("synth"))
    .description(
      "write synthetic blood-imaging data: <out>/pretrain (stacks) and <out>/segmentation (labelled tiles)",
    )
    .requiredOption("--out <dir>", "output folder")
    .addOption(intOption("--stacks <n>", "pre-training stacks (C x 256 x 256)", { min: 1 }, 64))
    .addOption(intOption("--tiles <n>", "segmentation tiles (C x 64 x 64)", { min: 1 }, 512))
    .addOption(intOption("--channels <n>", "channels per stack", { min: 1 }, 16))
    .addOption(
      floatOption(
        "--label-fraction <f>",
        "fraction of pixels with sparse labels",
        { above: 0, max: 1 },
        0.023,
      ),
    )
    .option("--preview <dir>", "also write preview PNGs of the first stacks here")
    .option("--overwrite", "replace existing output", false)
    .action((o: SynthOpts) => {
      const t0 = performance.now();
      const r = synthDatasets({
        out: o.out,
        stacks: o.stacks,
        tiles: o.tiles,
        channels: o.channels,
        seed: o.seed,
        labelFraction: o.labelFraction,
        overwrite: o.overwrite,
      });
      console.log(describe(r.pretrain.dir, r.pretrain.meta));
      console.log(describe(r.segmentation.dir, r.segmentation.meta));
      if (o.preview) {
        const stacks = [0, 1, 2, 3].map((i) =>
          synthStack(i, { channels: o.channels, seed: o.seed, labelFraction: o.labelFraction }),
        );
        const paths = writePreview(o.preview, stacks);
        console.log(`previews: ${paths.length} PNGs in ${o.preview}`);
      }
      console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    });

  importSourceOptions(withCommon(program.command("import")))
    .description(
      "import images (.npy/.npz/.tif/.png/.jpg/.bmp files or folders) with masks, annotations, or as a pool, as a dataset directory",
    )
    .option("--images <path>", "image file or folder")
    .option(
      "--masks <path>",
      "mask file or folder, paired with images by name (255 = unlabelled; see --unlabelled, --mask-map, --dense)",
    )
    .requiredOption("--out <dir>", "dataset directory to write")
    .option("--classes <names>", "comma-separated class names (label value = position)", list)
    .option("--kind <kind>", "pretrain or segmentation (default: segmentation with masks)")
    .option(
      "--blood-cells <dir>",
      "import the blood-cell-detection folder instead (boxes become sparse labels with --kind segmentation)",
    )
    .option("--overwrite", "replace an existing dataset", false)
    .action(async (o: ImportOpts) => {
      if (o.kind && o.kind !== "pretrain" && o.kind !== "segmentation") {
        throw new UsageError(`--kind must be pretrain or segmentation, not '${o.kind}'`);
      }
      const t0 = performance.now();
      if (
        runImportSource(o, (dir, labels, onProgress) =>
          importNnunet({ dir, out: o.out, seed: o.seed, overwrite: o.overwrite, labels, onProgress }),
        )
      ) {
        reportImport(o.out, (performance.now() - t0) / 1000, o.preview);
        return;
      }
      if (o.images && !o.masks && !o.annotations && isZarrInput(o.images)) {
        await importOmeZarr({
          inputs: [o.images],
          out: o.out,
          level: o.level,
          ome: omeOf(o),
          tile: o.tile,
          seed: o.seed,
          overwrite: o.overwrite,
          onProgress: importProgress("import"),
        });
        reportImport(o.out, (performance.now() - t0) / 1000);
        return;
      }
      if (o.tile) throw new UsageError("--tile cuts a --pool or OME-Zarr images");
      let meta: DatasetMeta;
      if (o.bloodCells) {
        meta = importBloodCells({
          dir: o.bloodCells,
          out: o.out,
          kind: o.kind ?? "pretrain",
          seed: o.seed,
          overwrite: o.overwrite,
        });
      } else {
        if (!o.images) throw new UsageError("give --images (or --blood-cells, --pool, --nnunet)");
        meta = importDataset({
          images: o.images,
          masks: o.masks,
          out: o.out,
          classes: o.classes,
          kind: o.kind,
          seed: o.seed,
          overwrite: o.overwrite,
          labels: conventionOf(o),
          ome: omeOf(o),
          onProgress: importProgress("import"),
        });
      }
      reportImport(o.out, (performance.now() - t0) / 1000, o.preview);
      console.log(
        `per-channel mean ${meta.stats.mean.map((v) => v.toFixed(3)).join(", ")}; written ${join(o.out, "dataset.json")}`,
      );
    });
}
