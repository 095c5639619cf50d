// hemoseg reconstruct: what a pre-trained ViTMAE makes of tiles it sees half of, as PNG grids.
import type { Command } from "commander";
import { type ReconstructOptions, reconstructRun } from "../../pipeline/reconstruct-run.js";
import { applyCommon, type CommonOptions, int, list, num, UsageError, withCommon } from "../common.js";

interface Opts extends CommonOptions {
  run: string;
  input?: string;
  out: string;
  channels?: string[];
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
    .option(
      "--channels <r,g,b>",
      "three channels for the false colour (default: spread over the stack)",
      list,
    )
    .option("--count <n>", "tiles to show", int, 8)
    .option("--mask-ratio <r>", "fraction of patches removed (default: the model's)", num)
    .option("--split <name>", "dataset split to take tiles from: train, val or test", "test")
    .option("--which <ckpt>", "checkpoint: best or last", "best")
    .option("--rows-per-grid <n>", "tiles per PNG", int, 8)
    .action((o: Opts) => {
      const device = applyCommon(o);
      if (!["train", "val", "test"].includes(o.split))
        throw new UsageError(`--split must be train, val or test, not '${o.split}'`);
      if (o.which !== "best" && o.which !== "last")
        throw new UsageError(`--which must be best or last, not '${o.which}'`);
      if (o.count < 1 || o.rowsPerGrid < 1)
        throw new UsageError("--count and --rows-per-grid must be at least 1");
      const channels = o.channels?.map(Number);
      if (channels && (channels.length !== 3 || !channels.every(Number.isInteger)))
        throw new UsageError(`--channels takes three channel numbers, e.g. 12,7,1`);
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
