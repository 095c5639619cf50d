// hemoseg reconstruct: what a pre-trained ViTMAE makes of tiles it sees half of, as PNG grids.
import type { Command } from "commander";
import { type ReconstructOptions, reconstructRun } from "../../pipeline/reconstruct-run.js";
import { applyCommon, type CommonOptions, UsageError, withCommon } from "../common.js";
import { floatOption, intOption, numberListOption } from "../numeric.js";

interface Opts extends CommonOptions {
  run: string;
  input?: string;
  out: string;
  channels?: number[];
  count: number;
  maskRatio?: number;
  split: string;
  which: string;
  rowsPerGrid: number;
}

export function registerReconstruct(program: Command): void {
  withCommon(program.command("reconstruct"))
    .description(
      "PNG grids of original | masked | reconstruction | reconstruction with visible patches, from a pre-training run",
    )
    .requiredOption("--run <dir>", "a pretrain run directory (or a ViTMAE checkpoint directory)")
    .option("--input <path>", "dataset directory or image file (default: the run's dataset)")
    .requiredOption("--out <dir>", "where to write the PNGs and reconstruct.json")
    .addOption(
      numberListOption(
        "--channels <r,g,b>",
        "three channels for the false colour (default: spread over the stack)",
        { integer: true, min: 0 },
        3,
      ),
    )
    .addOption(intOption("--count <n>", "tiles to show", { min: 1 }, 8))
    .addOption(
      floatOption("--mask-ratio <r>", "fraction of patches removed (default: the model's)", {
        min: 0,
        below: 1,
      }),
    )
    .option("--split <name>", "dataset split to take tiles from: train, val or test", "test")
    .option("--which <ckpt>", "checkpoint: best or last", "best")
    .addOption(intOption("--rows-per-grid <n>", "tiles per PNG", { min: 1 }, 8))
    .action((o: Opts) => {
      const device = applyCommon(o);
      if (!["train", "val", "test"].includes(o.split))
        throw new UsageError(`--split must be train, val or test, not '${o.split}'`);
      if (o.which !== "best" && o.which !== "last")
        throw new UsageError(`--which must be best or last, not '${o.which}'`);
      const channels = o.channels;
      const s = reconstructRun({
        ...o,
        split: o.split as ReconstructOptions["split"],
        which: o.which as ReconstructOptions["which"],
        channels: channels as [number, number, number] | undefined,
        device,
      });
      const loss = s.meanLoss === null ? "-" : s.meanLoss.toFixed(4);
      console.log(
        `${s.tiles.length} tiles from ${s.input}${s.split ? ` (${s.split})` : ""}, mask ratio ${s.maskRatio}, mean loss ${loss}`,
      );
      console.log(`written: ${o.out}/ (${s.grids.join(", ")}, reconstruct.json)`);
    });
}
