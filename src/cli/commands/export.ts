// hemoseg export: a trained run for deployment elsewhere (--onnx: an ONNX model file).
import type { Command } from "commander";
import { type ExportWhat, exportRunToFile } from "../../export/onnx/export.js";
import { applyCommon, type CommonOptions, UsageError, withCommon } from "../common.js";

interface Opts extends CommonOptions {
  run: string;
  onnx?: string;
  what: string;
  which: string;
}

export function registerExport(program: Command): void {
  withCommon(program.command("export"))
    .description("export a run's model for inference without libtorch (ONNX, opset 17, dynamic batch)")
    .requiredOption("--run <dir>", "a finetune or train-unet run (or, with --what encoder, a pretrain run)")
    .option(
      "--onnx <file>",
      "write an ONNX model here; normalisation, classes, tile and patch size go in its metadata",
    )
    .option("--what <part>", "model (the segmenter: logits) or encoder (the ViT alone: features)", "model")
    .option("--which <ckpt>", "checkpoint: best or last", "best")
    .action((o: Opts) => {
      applyCommon(o);
      if (o.what !== "model" && o.what !== "encoder")
        throw new UsageError(`--what must be model or encoder, not '${o.what}'`);
      if (o.which !== "best" && o.which !== "last")
        throw new UsageError(`--which must be best or last, not '${o.which}'`);
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
