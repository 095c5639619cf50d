// MONAI's BasicUNet in 2-D (monai.networks.nets.basic_unet), the supervised baseline: five
// encoder levels of two 3x3 conv + instance norm (affine) + LeakyReLU(0.1) blocks, 2x2 max
// pooling down, 2x2 transposed-conv up, concatenation (skip, upsampled), 1x1 output conv.
// Module names follow MONAI, so keys read conv_0.conv_0.conv.weight, down_1.convs.conv_1.adn.N.bias,
// upcat_4.upsample.deconv.weight, final_conv.weight.
import { Fields, readJsonObject } from "../io/json.js";
import { cat, F, nn, scope, type Tensor } from "../torch/index.js";
import { checkpointFiles, loadWeightsFile, saveCheckpoint } from "./checkpoint-files.js";

export interface BasicUNetConfig {
  inChannels: number;
  outChannels: number;
  /** Five encoder widths, then the width after the last upsampling. */
  features: number[];
}

export const DEFAULT_UNET_FEATURES = [32, 32, 64, 128, 256, 32];
const NEGATIVE_SLOPE = 0.1;

/** MONAI ADN with ordering "NDA", norm instance(affine) and LeakyReLU; dropout 0 has no module weight. */
class ADN extends nn.Module {
  readonly N: nn.InstanceNorm2d;
  readonly A: nn.LeakyReLU;
  constructor(channels: number) {
    super();
    this.N = this.module("N", new nn.InstanceNorm2d(channels, { affine: true }));
    this.A = this.module("A", new nn.LeakyReLU(NEGATIVE_SLOPE));
  }
  forward(x: Tensor): Tensor {
    return scope(() => this.A.forward(this.N.forward(x)));
  }
}

/** MONAI Convolution: 3x3 conv (bias, padding 1) then ADN. */
class ConvNormAct extends nn.Module {
  readonly conv: nn.Conv2d;
  readonly adn: ADN;
  constructor(inChannels: number, outChannels: number) {
    super();
    this.conv = this.module("conv", new nn.Conv2d(inChannels, outChannels, 3, { padding: 1 }));
    this.adn = this.module("adn", new ADN(outChannels));
  }
  forward(x: Tensor): Tensor {
    return scope(() => this.adn.forward(this.conv.forward(x)));
  }
}

/** Two conv-norm-act blocks, named conv_0 and conv_1. */
export class TwoConv extends nn.Module {
  readonly conv0: ConvNormAct;
  readonly conv1: ConvNormAct;
  constructor(inChannels: number, outChannels: number) {
    super();
    this.conv0 = this.module("conv_0", new ConvNormAct(inChannels, outChannels));
    this.conv1 = this.module("conv_1", new ConvNormAct(outChannels, outChannels));
  }
  forward(x: Tensor): Tensor {
    return scope(() => this.conv1.forward(this.conv0.forward(x)));
  }
}

/** 2x2 max pooling, then TwoConv as "convs" (the pooling has no weights). */
export class Down extends nn.Module {
  readonly convs: TwoConv;
  constructor(inChannels: number, outChannels: number) {
    super();
    this.convs = this.module("convs", new TwoConv(inChannels, outChannels));
  }
  forward(x: Tensor): Tensor {
    return scope(() => this.convs.forward(F.maxPool2d(x, 2)));
  }
}

/** MONAI UpSample in "deconv" mode: a 2x2 stride-2 transposed conv with bias, child "deconv". */
class UpSample extends nn.Module {
  readonly deconv: nn.ConvTranspose2d;
  constructor(inChannels: number, outChannels: number) {
    super();
    this.deconv = this.module("deconv", new nn.ConvTranspose2d(inChannels, outChannels, 2, { stride: 2 }));
  }
  forward(x: Tensor): Tensor {
    return this.deconv.forward(x);
  }
}

/** Upsample (halving the channels unless told not to), pad to the skip's size, cat (skip, up), TwoConv. */
export class UpCat extends nn.Module {
  readonly upsample: UpSample;
  readonly convs: TwoConv;
  constructor(inChannels: number, catChannels: number, outChannels: number, halves = true) {
    super();
    const up = halves ? Math.floor(inChannels / 2) : inChannels;
    this.upsample = this.module("upsample", new UpSample(inChannels, up));
    this.convs = this.module("convs", new TwoConv(catChannels + up, outChannels));
  }
  forward(x: Tensor, skip: Tensor): Tensor {
    return scope(() => {
      let up = this.upsample.forward(x);
      // Odd sizes lose a row/column to pooling; replicate-pad the upsampled map back (MONAI's is_pad).
      const padW = skip.size(3) - up.size(3);
      const padH = skip.size(2) - up.size(2);
      if (padW || padH) up = F.pad(up, [0, padW, 0, padH], "replicate");
      return this.convs.forward(cat([skip, up], 1));
    });
  }
}

export class BasicUNet extends nn.Module {
  readonly conv0: TwoConv;
  readonly downs: Down[];
  readonly upcats: UpCat[]; // upcat_4, upcat_3, upcat_2, upcat_1
  readonly finalConv: nn.Conv2d;

  constructor(readonly config: BasicUNetConfig) {
    super();
    const { inChannels, outChannels, features: f } = config;
    if (f.length !== 6 || !f.every((v) => Number.isInteger(v) && v > 0)) {
      throw new Error(`BasicUNet: features must be six positive integers, got [${f}]`);
    }
    this.conv0 = this.module("conv_0", new TwoConv(inChannels, f[0]));
    this.downs = [1, 2, 3, 4].map((i) => this.module(`down_${i}`, new Down(f[i - 1], f[i])));
    this.upcats = [
      this.module("upcat_4", new UpCat(f[4], f[3], f[3])),
      this.module("upcat_3", new UpCat(f[3], f[2], f[2])),
      this.module("upcat_2", new UpCat(f[2], f[1], f[1])),
      this.module("upcat_1", new UpCat(f[1], f[0], f[5], false)),
    ];
    this.finalConv = this.module("final_conv", new nn.Conv2d(f[5], outChannels, 1));
  }

  /** (B, inChannels, H, W) -> logits (B, outChannels, H, W); H and W best divisible by 16. */
  forward(pixelValues: Tensor): Tensor {
    const { inChannels } = this.config;
    if (pixelValues.ndim !== 4 || pixelValues.size(1) !== inChannels) {
      throw new Error(`BasicUNet: input of shape [${pixelValues.shape}] is not (B, ${inChannels}, H, W)`);
    }
    return scope(() => {
      const skips = [this.conv0.forward(pixelValues)]; // x0 .. x4
      for (const d of this.downs) skips.push(d.forward(skips[skips.length - 1]));
      let u = skips[4];
      this.upcats.forEach((up, i) => {
        u = up.forward(u, skips[3 - i]);
      });
      return this.finalConv.forward(u);
    });
  }

  static fromPretrained(dir: string): BasicUNet {
    const files = checkpointFiles(dir);
    const model = new BasicUNet(
      basicUNetConfigFromJson(readJsonObject(files.config, "config"), files.config),
    );
    loadWeightsFile(model, files.weights);
    return model;
  }

  /** Writes config.json and model.safetensors into dir (created if needed), each atomically. */
  savePretrained(dir: string): void {
    const { inChannels, outChannels, features } = this.config;
    saveCheckpoint(dir, this, {
      architecture: "basic_unet",
      in_channels: inChannels,
      out_channels: outChannels,
      features,
    });
  }
}

function basicUNetConfigFromJson(j: Record<string, unknown>, path: string): BasicUNetConfig {
  if (j.architecture !== "basic_unet") {
    throw new Error(`${path}: architecture is '${j.architecture}', expected 'basic_unet'`);
  }
  const f = new Fields(j);
  const config = { inChannels: f.int("in_channels"), outChannels: f.int("out_channels") };
  const features = j.features ?? DEFAULT_UNET_FEATURES;
  if (
    !Array.isArray(features) ||
    features.length !== 6 ||
    !features.every((v) => Number.isInteger(v) && v > 0)
  ) {
    f.problems.push(`'features' must be six positive integers, got ${JSON.stringify(features)}`);
  }
  f.fail(path);
  return { ...config, features: features as number[] };
}
