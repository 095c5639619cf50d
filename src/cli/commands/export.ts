// hemoseg export: a trained run for deployment elsewhere (--onnx: an ONNX model file), or a
// dataset in another tool's layout (--nnunet: an nnU-Net raw dataset on the same split).
import type { Command } from "commander";
import { exportNnunet } from "../../data/nnunet.js";
import { type ExportWhat, exportRunToFile } from "../../export/onnx/export.js";
import { applyCommon, type CommonOptions, UsageError, withCommon } from "../common.js";
import { importProgress } from "./import-sources.js";

interface Opts extends CommonOptions {
  run?: string;
  onnx?: string;
  what: string;
  which: string;
  data?: string;
  nnunet?: string;
  overwrite: boolean;
}

function exportDataset(o: Opts & { data: string; nnunet: string }): void {
  const t0 = performance.now();
  const json = exportNnunet({
    dataset: o.data,
    out: o.nnunet,
    overwrite: o.overwrite,
    onProgress: importProgress("export"),
  });
  const labels = Object.entries(json.labels)
    .map(([k, v]) => `${v} ${k}`)
    .join(", ");
  console.log(
    `${o.nnunet}: nnU-Net raw dataset, ${json.numTraining} training cases, ${Object.keys(json.channel_names).length} channels, labels ${labels}; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  console.log(
    `splits_final.json holds hemoseg's train/val split as fold 0: copy it to nnUNet_preprocessed/${o.nnunet.split("/").filter(Boolean).pop()}/ after planning`,
  );
}

export function registerExport(program: Command): void {
  withCommon(program.command("export"))
    .description(
      "export a run's model for inference without libtorch (--onnx), or a dataset for nnU-Net (--nnunet)",
    )
    .option("--run <dir>", "a finetune or train-unet run (or, with --what encoder, a pretrain run)")
    .option(
      "--onnx <file>",
      "write an ONNX model here; normalisation, classes, tile and patch size go in its metadata",
    )
    .option("--what <part>", "model (the segmenter: logits) or encoder (the ViT alone: features)", "model")
    .option("--which <ckpt>", "checkpoint: best or last", "best")
    .option("--data <dir>", "a hemoseg segmentation dataset, for --nnunet")
    .option(
      "--nnunet <dir>",
      "write an nnU-Net raw dataset (e.g. nnUNet_raw/Dataset501_Blood): test split in imagesTs, train/val as fold 0 of splits_final.json",
    )
    .option("--overwrite", "replace an existing --nnunet folder", false)
    .action((o: Opts) => {
      applyCommon(o);
      if (o.nnunet || o.data) {
        if (!o.nnunet || !o.data)
          throw new UsageError("export: --nnunet DIR needs --data (a hemoseg dataset)");
        if (o.onnx || o.run)
          throw new UsageError("export: --nnunet exports a dataset; --onnx a run: give one");
        exportDataset(o as Opts & { data: string; nnunet: string });
        return;
      }
      if (o.what !== "model" && o.what !== "encoder")
        throw new UsageError(`--what must be model or encoder, not '${o.what}'`);
      if (o.which !== "best" && o.which !== "last")
        throw new UsageError(`--which must be best or last, not '${o.which}'`);
      if (!o.run) throw new UsageError("export: give --run (with --onnx) or --data (with --nnunet)");
      if (!o.onnx) throw new UsageError("export: say where to write, e.g. --onnx model.onnx");
      const t0 = Date.now();
      const r = exportRunToFile({ run: o.run, onnx: o.onnx, what: o.what as ExportWhat, which: o.which });
      const m = r.meta;
      const out =
        m.task === "segmentation" ? `logits (batch, ${m.classes?.length}, ${m.tile}, ${m.tile})` : m.output;
      console.log(
        `${o.onnx}: ${m.architecture}${m.patchSize ? ` patch ${m.patchSize}` : ""}, ${(r.bytes.length / 2 ** 20).toFixed(1)} MiB, ${r.nodes} nodes, ` +
          `pixel_values (batch, ${m.channels}, ${m.tile}, ${m.tile}) -> ${out}; ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    });
}
