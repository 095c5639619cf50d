// hemoseg predict: label maps and colour overlays for image stacks of any size, by sliding window.
import type { Command } from "commander";
import { type PredictFilesOptions, predictFiles } from "../../pipeline/predict-files.js";
import { applyCommon, type CommonOptions, UsageError, withCommon } from "../common.js";
import { floatOption, intOption, numberListOption } from "../numeric.js";

interface Opts extends CommonOptions {
  run?: string;
  engine: string;
  onnx?: string;
  input: string;
  out: string;
  overlap: number;
  batch: number;
  which: string;
  channels?: number[];
}

export function registerPredict(program: Command): void {
  withCommon(program.command("predict"))
    .description(
      "label image stacks of any size with a segmentation run or an ONNX export (sliding window with blended overlaps)",
    )
    .option("--run <dir>", "a finetune or train-unet run directory (engine libtorch)")
    .option(
      "--engine <name>",
      "libtorch (a run's checkpoint) or onnx (an exported model, no libtorch)",
      "libtorch",
    )
    .option("--onnx <file>", "the model for --engine onnx (from hemoseg export --onnx)")
    .requiredOption("--input <path>", "an image file (.npy, .npz, .tif, .png) or a folder of them, C x H x W")
    .requiredOption(
      "--out <dir>",
      "where to write NAME_labels.png/.npy, NAME_overlay.png, legend.png, predict.json",
    )
    .addOption(
      floatOption(
        "--overlap <f>",
        "fraction of a tile neighbouring windows share",
        { min: 0, below: 1 },
        0.5,
      ),
    )
    .addOption(intOption("--batch <n>", "windows per forward pass", { min: 1 }, 16))
    .option("--which <ckpt>", "checkpoint: best or last", "best")
    .addOption(
      numberListOption(
        "--channels <r,g,b>",
        "three channels for the overlay's false colour (default: spread over the stack)",
        { integer: true, min: 0 },
        3,
      ),
    )
    .action(async (o: Opts) => {
      if (o.engine !== "libtorch" && o.engine !== "onnx")
        throw new UsageError(`--engine must be libtorch or onnx, not '${o.engine}'`);
      // The ONNX engine never touches libtorch: no seed or device set-up for it.
      const device = o.engine === "onnx" ? (o.device as "cpu" | "cuda") : applyCommon(o);
      if (o.which !== "best" && o.which !== "last")
        throw new UsageError(`--which must be best or last, not '${o.which}'`);
      const channels = o.channels;
      const t0 = Date.now();
      const { done, skipped } = await predictFiles(
        {
          ...o,
          engine: o.engine,
          which: o.which as PredictFilesOptions["which"],
          channels: channels as [number, number, number] | undefined,
          device,
        },
        (f) => console.log(`${f.input}: ${f.height} x ${f.width} -> ${f.labels}, ${f.npy}, ${f.overlay}`),
        (s) => process.stderr.write(`hemoseg: skipped ${s.input}: ${s.reason}\n`),
      );
      console.log(
        `${done.length} file(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s; written: ${o.out}/ (legend.png, predict.json)`,
      );
      if (skipped.length) {
        process.stderr.write(
          `hemoseg: ${skipped.length} of ${done.length + skipped.length} file(s) could not be labelled (listed in ${o.out}/predict.json)\n`,
        );
        process.exitCode = 1;
      }
    });
}
