// hemoseg pretrain: ViTMAE pre-training with the paper's defaults.
import type { Command } from "commander";
import { isPresetName } from "../../models/presets.js";
import {
  ADAMW_WEIGHT_DECAY,
  PRETRAIN_DEFAULTS as D,
  PRETRAIN_OPTIMIZERS,
  type PretrainOptimizer,
  pretrain,
} from "../../train/pretrain.js";
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
  blr?: number;
  optimizer: string;
  betas: string[];
  weightDecay?: number;
  clipGrad?: number;
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
    .option(
      "--blr <r>",
      "base learning rate, scaled by batch as MAE does: lr = blr x batch tiles / 256 (not with --lr)",
      num,
    )
    .option(
      "--optimizer <name>",
      `adam (the paper; --weight-decay is L2 in the gradient) or adamw (AdamW: decoupled weight decay, ${ADAMW_WEIGHT_DECAY} unless --weight-decay)`,
      "adam",
    )
    .option("--betas <b1,b2>", "Adam betas", list, D.betas.map(String))
    .option(
      "--weight-decay <wd>",
      `weight decay (default: 0 with adam, ${ADAMW_WEIGHT_DECAY} with adamw)`,
      num,
    )
    .option(
      "--clip-grad <norm>",
      "clip each step's gradients to this global L2 norm (default: no clipping)",
      num,
    )
    .option("--warmup-epochs <n>", "linear warm-up epochs", num, D.warmupEpochs)
    .option("--cosine", "cosine decay of the learning rate after warm-up", false)
    .option("--tile <n>", "tile size", int, D.tile)
    .option("--bf16", "bfloat16 autocast", false)
    .option("--resume", "continue from <out>/last", false)
    .option("--workers <n>", "data-loading threads", int, D.workers)
    .option("--max-steps <n>", "cap on steps per epoch (0: whole split)", int, D.maxSteps)
    .action(async (o: Opts, cmd: Command) => {
      const device = applyCommon(o);
      if (!PRETRAIN_OPTIMIZERS.includes(o.optimizer as PretrainOptimizer))
        throw new UsageError(`--optimizer must be adam or adamw (AdamW), not '${o.optimizer}'`);
      if (o.blr !== undefined && cmd.getOptionValueSource("lr") === "cli")
        throw new UsageError("--lr and --blr cannot both be given: --blr sets lr = blr x batch tiles / 256");
      if (o.blr !== undefined && !(o.blr > 0)) throw new UsageError(`--blr must be positive, got ${o.blr}`);
      if (o.clipGrad !== undefined && !(o.clipGrad > 0))
        throw new UsageError(`--clip-grad must be a positive gradient norm, got ${o.clipGrad}`);
      if (o.weightDecay !== undefined && !(o.weightDecay >= 0))
        throw new UsageError(`--weight-decay must be non-negative, got ${o.weightDecay}`);
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
        optimizer: o.optimizer as PretrainOptimizer,
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
