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
import {
  applyCommon,
  type CommonOptions,
  isMainRank,
  launched,
  UsageError,
  withCommon,
  withLaunch,
} from "../common.js";
import { floatOption, intOption, numberListOption } from "../numeric.js";

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
  betas: number[];
  weightDecay?: number;
  clipGrad?: number;
  warmupEpochs: number;
  cosine: boolean;
  tile: number;
  bf16: boolean;
  resume: boolean;
  overwrite: boolean;
  workers: number;
  maxSteps: number;
  nproc: number;
}

export function registerPretrain(program: Command): void {
  withLaunch(withCommon(program.command("pretrain")))
    .description("pre-train a ViTMAE on a dataset directory (writes best/, last/, metrics.jsonl, test.json)")
    .requiredOption("--data <dir>", "dataset directory (hemoseg import / synth)")
    .requiredOption("--out <dir>", "run directory")
    .option("--model <name>", "model1 or model2 (the paper's Tables 2-3)", D.model)
    .addOption(intOption("--patch <p>", "patch size (2, 4, 8, ...; divides the tile)", { min: 1 }, D.patch))
    .addOption(
      floatOption("--mask-ratio <r>", "fraction of patches removed", { above: 0, below: 1 }, D.maskRatio),
    )
    .option("--no-norm-pix-loss", "plain pixel targets instead of per-patch normalised ones")
    .addOption(intOption("--epochs <n>", "epochs", { min: 1 }, D.epochs))
    .addOption(
      intOption("--batch-stacks <n>", "batch size in stacks (x tiles per stack); the paper: 16", { min: 1 }),
    )
    .addOption(intOption("--batch-tiles <n>", "batch size in tiles (overrides --batch-stacks)", { min: 1 }))
    .addOption(floatOption("--lr <lr>", "learning rate", { above: 0 }, D.lr))
    .addOption(
      floatOption(
        "--blr <r>",
        "base learning rate, scaled by batch as MAE does: lr = blr x batch tiles / 256 (not with --lr)",
        { above: 0 },
      ),
    )
    .option(
      "--optimizer <name>",
      `adam (the paper; --weight-decay is L2 in the gradient) or adamw (AdamW: decoupled weight decay, ${ADAMW_WEIGHT_DECAY} unless --weight-decay)`,
      "adam",
    )
    .addOption(numberListOption("--betas <b1,b2>", "Adam betas", { min: 0, below: 1 }, 2, D.betas))
    .addOption(
      floatOption(
        "--weight-decay <wd>",
        `weight decay (default: 0 with adam, ${ADAMW_WEIGHT_DECAY} with adamw)`,
        { min: 0 },
      ),
    )
    .addOption(
      floatOption(
        "--clip-grad <norm>",
        "clip each step's gradients to this global L2 norm (default: no clipping)",
        { above: 0 },
      ),
    )
    .addOption(floatOption("--warmup-epochs <n>", "linear warm-up epochs", { min: 0 }, D.warmupEpochs))
    .option("--cosine", "cosine decay of the learning rate after warm-up", false)
    .addOption(intOption("--tile <n>", "tile size", { min: 1 }, D.tile))
    .option("--bf16", "bfloat16 autocast", false)
    .option("--resume", "continue from <out>/last", false)
    .option("--overwrite", "replace a run already in --out", false)
    .addOption(intOption("--workers <n>", "data-loading threads", { min: 0 }, D.workers))
    .addOption(
      intOption("--max-steps <n>", "cap on steps per epoch (0: whole split)", { min: 0 }, D.maxSteps),
    )
    .action(async (o: Opts, cmd: Command) => {
      const device = applyCommon(o);
      if (!PRETRAIN_OPTIMIZERS.includes(o.optimizer as PretrainOptimizer))
        throw new UsageError(`--optimizer must be adam or adamw (AdamW), not '${o.optimizer}'`);
      if (o.blr !== undefined && cmd.getOptionValueSource("lr") === "cli")
        throw new UsageError("--lr and --blr cannot both be given: --blr sets lr = blr x batch tiles / 256");
      if (!isPresetName(o.model)) throw new UsageError(`--model must be model1 or model2, not '${o.model}'`);
      const tilesPerStack = 16; // 256 x 256 stacks cut into 64 x 64 tiles
      const batchTiles = o.batchTiles ?? (o.batchStacks ? o.batchStacks * tilesPerStack : D.batchTiles);
      if (
        await launched(o, { option: "batch size (--batch-tiles or --batch-stacks x 16)", value: batchTiles })
      )
        return;
      const r = await pretrain({
        ...o,
        model: o.model,
        optimizer: o.optimizer as PretrainOptimizer,
        device,
        batchTiles,
        betas: [o.betas[0], o.betas[1]],
      });
      if (!isMainRank()) return;
      console.log(
        `pre-training done: best epoch ${r.bestEpoch}, val loss ${r.bestValLoss.toFixed(4)}, test loss ${r.testLoss.toFixed(4)}; ` +
          `checkpoint ${r.runDir}/best (loads with ViTMAEForPreTraining.from_pretrained)`,
      );
    });
}
