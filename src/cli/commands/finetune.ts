// hemoseg finetune / train-unet: segmentation training from sparse labels.
import type { Command } from "commander";
import { isPresetName } from "../../models/presets.js";
import { type Arch, FINETUNE_DEFAULTS as D, type FinetuneOptions, finetune } from "../../train/finetune.js";
import { applyCommon, type CommonOptions, int, list, num, UsageError, withCommon } from "../common.js";

/** What commander parses: FinetuneOptions, with the fields it reads as text still text. */
interface Opts
  extends CommonOptions,
    Omit<FinetuneOptions, "arch" | "model" | "betas" | "classWeights" | "seed" | "device"> {
  model: string;
  betas: string[];
  classWeights: string;
}

function common(cmd: Command): Command {
  return withCommon(cmd)
    .requiredOption("--data <dir>", "segmentation dataset directory")
    .requiredOption("--out <dir>", "run directory")
    .option("--epochs <n>", "epochs", int, D.epochs)
    .option("--batch-size <n>", "tiles per step", int, D.batchSize)
    .option("--lr <lr>", "learning rate", num, D.lr)
    .option("--betas <b1,b2>", "Adam betas", list, D.betas.map(String))
    .option("--weight-decay <wd>", "weight decay", num, D.weightDecay)
    .option("--warmup-epochs <n>", "linear warm-up epochs", num, D.warmupEpochs)
    .option("--cosine", "cosine decay after warm-up", false)
    .option("--class-weights <w>", "none, balanced, or comma-separated weights", "none")
    .option("--bf16", "bfloat16 autocast", false)
    .option("--resume", "continue from <out>/last", false)
    .option("--max-steps <n>", "cap on steps per epoch (0: whole split)", int, D.maxSteps)
    .option(
      "--train-tiles <n>",
      "labelled tiles to train on: the first N of a shuffle of the train split by --seed (0: all)",
      int,
      0,
    );
}

async function run(arch: Arch, o: Opts): Promise<void> {
  const device = applyCommon(o);
  if (!isPresetName(o.model)) throw new UsageError(`--model must be model1 or model2, not '${o.model}'`);
  if (o.betas.length !== 2) throw new UsageError("--betas takes two numbers, e.g. 0.9,0.95");
  const cw =
    o.classWeights === "none" || o.classWeights === "balanced"
      ? o.classWeights
      : list(o.classWeights).map(num);
  const r = await finetune({
    ...o,
    arch,
    model: o.model,
    device,
    betas: [Number(o.betas[0]), Number(o.betas[1])],
    classWeights: cw,
  });
  console.log(
    `training done: best epoch ${r.bestEpoch}, val loss ${r.bestValLoss.toFixed(4)}; checkpoint ${r.runDir}/best`,
  );
}

export function registerFinetune(program: Command): void {
  common(program.command("finetune"))
    .description("train a UNETR segmenter, from a pre-trained encoder (--encoder) or from scratch")
    .option("--encoder <dir>", "ViTMAE / ViT / UNETR checkpoint whose encoder starts the UNETR")
    .option("--model <name>", "encoder shape from scratch: model1 or model2", D.model)
    .option("--patch <p>", "patch size from scratch (2, 4, 8, 16)", int, D.patch)
    .option("--feature-size <n>", "UNETR feature size (16..256)", int, D.featureSize)
    .option("--encoder-lr <lr>", "encoder learning rate (default: --lr)", num)
    .option("--layer-decay <f>", "layer-wise lr decay of the encoder (1 = none)", num, D.layerDecay)
    .option("--frozen-epochs <n>", "epochs with the encoder frozen before it trains too", int, D.frozenEpochs)
    .option("--freeze-encoder", "keep the encoder frozen throughout", false)
    .action((o: Opts) => run("unetr", o));
  common(program.command("train-unet"))
    .description("train the supervised U-Net baseline (MONAI BasicUNet) on the same labels")
    .action((o: Opts) =>
      run("unet", {
        ...o,
        model: D.model,
        patch: D.patch,
        featureSize: D.featureSize,
        layerDecay: 1,
        frozenEpochs: 0,
        freezeEncoder: false,
      }),
    );
}
