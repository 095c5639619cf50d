// hemoseg pretrain: ViTMAE pre-training with the paper's defaults.
import type { Command } from "commander";
import { isPresetName } from "../../models/presets.js";
import { PRETRAIN_DEFAULTS as D, pretrain } from "../../train/pretrain.js";
import { applyCommon, type CommonOptions, int, list, num, UsageError, withCommon } from "../common.js";

interface Opts extends CommonOptions {
  data: string;
  out: string;
  model: string;
  patch: number;
  maskRatio: number;
  normPixLoss: boolean;
  epochs: number;
  batchStacks?: number;
  batchTiles?: number;
  lr: number;
  betas: string[];
  weightDecay: number;
  warmupEpochs: number;
  cosine: boolean;
  tile: number;
  bf16: boolean;
  resume: boolean;
  workers: number;
  maxSteps: number;
}

export function registerPretrain(program: Command): void {
  withCommon(program.command("pretrain"))
    .description("pre-train a ViTMAE on a dataset directory (writes best/, last/, metrics.jsonl, test.json)")
    .requiredOption("--data <dir>", "dataset directory (hemoseg import / synth)")
    .requiredOption("--out <dir>", "run directory")
    .option("--model <name>", "model1 or model2 (the paper's Tables 2-3)", D.model)
    .option("--patch <p>", "patch size (2, 4, 8, ...; divides the tile)", int, D.patch)
    .option("--mask-ratio <r>", "fraction of patches removed", num, D.maskRatio)
    .option("--no-norm-pix-loss", "plain pixel targets instead of per-patch normalised ones")
    .option("--epochs <n>", "epochs", int, D.epochs)
    .option("--batch-stacks <n>", "batch size in stacks (x tiles per stack); the paper: 16")
    .option("--batch-tiles <n>", "batch size in tiles (overrides --batch-stacks)")
    .option("--lr <lr>", "learning rate", num, D.lr)
    .option("--betas <b1,b2>", "Adam betas", list, D.betas.map(String))
    .option("--weight-decay <wd>", "weight decay", num, D.weightDecay)
    .option("--warmup-epochs <n>", "linear warm-up epochs", num, D.warmupEpochs)
    .option("--cosine", "cosine decay of the learning rate after warm-up", false)
    .option("--tile <n>", "tile size", int, D.tile)
    .option("--bf16", "bfloat16 autocast", false)
    .option("--resume", "continue from <out>/last", false)
    .option("--workers <n>", "data-loading threads", int, D.workers)
    .option("--max-steps <n>", "cap on steps per epoch (0: whole split)", int, D.maxSteps)
    .action(async (o: Opts) => {
      const device = applyCommon(o);
      if (!isPresetName(o.model)) throw new UsageError(`--model must be model1 or model2, not '${o.model}'`);
      const tilesPerStack = 16; // 256 x 256 stacks cut into 64 x 64 tiles
      const batchTiles = o.batchTiles
        ? Number(o.batchTiles)
        : o.batchStacks
          ? Number(o.batchStacks) * tilesPerStack
          : D.batchTiles;
      if (!Number.isInteger(batchTiles) || batchTiles < 1)
        throw new UsageError(`batch size must be a positive integer`);
      if (o.betas.length !== 2) throw new UsageError("--betas takes two numbers, e.g. 0.9,0.95");
      const r = await pretrain({
        ...o,
        model: o.model,
        device,
        batchTiles,
        betas: [Number(o.betas[0]), Number(o.betas[1])],
      });
      console.log(
        `pre-training done: best epoch ${r.bestEpoch}, val loss ${r.bestValLoss.toFixed(4)}, test loss ${r.testLoss.toFixed(4)}; ` +
          `checkpoint ${r.runDir}/best (loads with ViTMAEForPreTraining.from_pretrained)`,
      );
    });
}
