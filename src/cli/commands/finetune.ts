// hemoseg finetune / train-unet: segmentation training from sparse labels.
import type { Command } from "commander";
import { isPresetName } from "../../models/presets.js";
import { type Arch, FINETUNE_DEFAULTS as D, type FinetuneOptions, finetune } from "../../train/finetune.js";
import {
  applyCommon,
  type CommonOptions,
  isMainRank,
  launched,
  UsageError,
  withCommon,
  withLaunch,
} from "../common.js";
import { floatOption, intOption, numberListOption, parseNumberList } from "../numeric.js";

/** What commander parses: FinetuneOptions, with the fields it reads as text still text. */
interface Opts
  extends CommonOptions,
    Omit<FinetuneOptions, "arch" | "model" | "betas" | "classWeights" | "seed" | "device"> {
  model: string;
  betas: number[];
  classWeights: string;
}

function common(cmd: Command): Command {
  return withLaunch(withCommon(cmd))
    .requiredOption("--data <dir>", "segmentation dataset directory")
    .requiredOption("--out <dir>", "run directory")
    .addOption(intOption("--epochs <n>", "epochs", { min: 1 }, D.epochs))
    .addOption(intOption("--batch-size <n>", "tiles per step", { min: 1 }, D.batchSize))
    .addOption(floatOption("--lr <lr>", "learning rate", { above: 0 }, D.lr))
    .addOption(numberListOption("--betas <b1,b2>", "Adam betas", { min: 0, below: 1 }, 2, D.betas))
    .addOption(floatOption("--weight-decay <wd>", "weight decay", { min: 0 }, D.weightDecay))
    .addOption(floatOption("--warmup-epochs <n>", "linear warm-up epochs", { min: 0 }, D.warmupEpochs))
    .option("--cosine", "cosine decay after warm-up", false)
    .option("--class-weights <w>", "none, balanced, or comma-separated weights", "none")
    .option("--bf16", "bfloat16 autocast", false)
    .option("--resume", "continue from <out>/last", false)
    .option("--overwrite", "replace a run already in --out", false)
    .addOption(
      intOption("--max-steps <n>", "cap on steps per epoch (0: whole split)", { min: 0 }, D.maxSteps),
    )
    .addOption(
      intOption(
        "--train-tiles <n>",
        "labelled images to train on: the first N of a shuffle of the train split by --seed (0: all)",
        { min: 0 },
        0,
      ),
    )
    .addOption(
      intOption(
        "--tile <px>",
        "train on square tiles of this side cut from the images (default: the image side; needed for non-square images)",
        { min: 16 },
      ),
    );
}

async function run(arch: Arch, o: Opts & { nproc?: number }): Promise<void> {
  const device = applyCommon(o);
  if (!isPresetName(o.model)) throw new UsageError(`--model must be model1 or model2, not '${o.model}'`);
  const cw =
    o.classWeights === "none" || o.classWeights === "balanced"
      ? o.classWeights
      : parseNumberList("--class-weights", o.classWeights, { min: 0 });
  if (await launched(o, { option: "--batch-size", value: o.batchSize })) return;
  const r = await finetune({
    ...o,
    arch,
    model: o.model,
    device,
    betas: [o.betas[0], o.betas[1]],
    classWeights: cw,
  });
  if (isMainRank())
    console.log(
      `training done: best epoch ${r.bestEpoch}, val loss ${r.bestValLoss.toFixed(4)}; checkpoint ${r.runDir}/best`,
    );
}

export function registerFinetune(program: Command): void {
  common(program.command("finetune"))
    .description("train a UNETR segmenter, from a pre-trained encoder (--encoder) or from scratch")
    .option("--encoder <dir>", "ViTMAE / ViT / UNETR checkpoint whose encoder starts the UNETR")
    .option("--model <name>", "encoder shape from scratch: model1 or model2", D.model)
    .addOption(intOption("--patch <p>", "patch size from scratch (2, 4, 8, 16)", { min: 1 }, D.patch))
    .addOption(
      intOption("--feature-size <n>", "UNETR feature size (16..256)", { min: 16, max: 256 }, D.featureSize),
    )
    .addOption(floatOption("--encoder-lr <lr>", "encoder learning rate (default: --lr)", { above: 0 }))
    .addOption(
      floatOption(
        "--layer-decay <f>",
        "layer-wise lr decay of the encoder (1 = none)",
        { above: 0, max: 1 },
        D.layerDecay,
      ),
    )
    .addOption(
      intOption(
        "--frozen-epochs <n>",
        "epochs with the encoder frozen before it trains too",
        { min: 0 },
        D.frozenEpochs,
      ),
    )
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
