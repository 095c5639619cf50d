// MONAI's UNETR building blocks (monai.networks.blocks.dynunet_block / unetr_block), 2-D, with
// MONAI's module names so state dicts load both ways: UnetResBlock, UnetrBasicBlock,
// UnetrPrUpBlock, UnetrUpBlock, UnetOutBlock. Norms are InstanceNorm2d(affine=false, eps 1e-5)
// (no state-dict keys), activations LeakyReLU(0.01), convs bias-free except the output conv.
// Shapes below: B batch, C channels, H x W spatial; In/Out the blocks' in/out channel counts.
import { cat, nn, scope, type Tensor } from "../torch/index.js";

const NEGATIVE_SLOPE = 0.01;

/** MONAI's get_padding: (kernel - stride + 1) / 2, truncated. */
function padding(kernel: number, stride: number): number {
  return Math.trunc((kernel - stride + 1) / 2);
}

/**
 * MONAI `Convolution` with conv_only (or no act/norm/dropout): just a conv held as child "conv",
 * so keys read `<name>.conv.weight`. Transposed convs get MONAI's output padding.
 */
export class Convolution extends nn.Module {
  readonly conv: nn.Conv2d | nn.ConvTranspose2d;
  constructor(
    inChannels: number,
    outChannels: number,
    o: { kernel: number; stride?: number; transposed?: boolean; bias?: boolean },
  ) {
    super();
    const stride = o.stride ?? 1;
    const pad = padding(o.kernel, stride);
    const bias = o.bias ?? false;
    this.conv = this.module(
      "conv",
      o.transposed
        ? new nn.ConvTranspose2d(inChannels, outChannels, o.kernel, {
            stride,
            padding: pad,
            outputPadding: 2 * pad + stride - o.kernel,
            bias,
          })
        : new nn.Conv2d(inChannels, outChannels, o.kernel, { stride, padding: pad, bias }),
    );
  }
  /** (B, In, H, W) -> (B, Out, H/stride, W/stride), or (B, Out, H·stride, W·stride) transposed. */
  forward(x: Tensor): Tensor {
    return this.conv.forward(x);
  }
}

/** 2x2 stride-2 transposed conv without bias: every UNETR upsampling step. */
const upConv = (inC: number, outC: number) =>
  new Convolution(inC, outC, { kernel: 2, stride: 2, transposed: true });

/**
 * conv1-norm1-lrelu-conv2-norm2, plus the input (through conv3 1x1 + norm3 when the channel
 * count or stride changes), then lrelu.
 */
export class UnetResBlock extends nn.Module {
  readonly conv1: Convolution;
  readonly conv2: Convolution;
  readonly conv3: Convolution | null = null;
  readonly norm1: nn.InstanceNorm2d;
  readonly norm2: nn.InstanceNorm2d;
  readonly norm3: nn.InstanceNorm2d | null = null;
  readonly lrelu: nn.LeakyReLU;
  constructor(inChannels: number, outChannels: number, kernel = 3, stride = 1) {
    super();
    this.conv1 = this.module("conv1", new Convolution(inChannels, outChannels, { kernel, stride }));
    this.conv2 = this.module("conv2", new Convolution(outChannels, outChannels, { kernel }));
    this.lrelu = this.module("lrelu", new nn.LeakyReLU(NEGATIVE_SLOPE));
    this.norm1 = this.module("norm1", new nn.InstanceNorm2d(outChannels));
    this.norm2 = this.module("norm2", new nn.InstanceNorm2d(outChannels));
    if (inChannels !== outChannels || stride !== 1) {
      this.conv3 = this.module("conv3", new Convolution(inChannels, outChannels, { kernel: 1, stride }));
      this.norm3 = this.module("norm3", new nn.InstanceNorm2d(outChannels));
    }
  }
  /** (B, In, H, W) -> (B, Out, H/stride, W/stride). */
  forward(x: Tensor): Tensor {
    return scope(() => {
      const h = this.lrelu.forward(this.norm1.forward(this.conv1.forward(x))); // (B, Out, H/s, W/s)
      const out = this.norm2.forward(this.conv2.forward(h)); // (B, Out, H/s, W/s)
      // The input as it is, or through a 1x1 conv when channels or stride change: (B, Out, H/s, W/s).
      const res = this.conv3 && this.norm3 ? this.norm3.forward(this.conv3.forward(x)) : x;
      return this.lrelu.forward(out.add(res));
    });
  }
}

/** UNETR's first encoder stage on the raw image (res_block=true: one UnetResBlock as "layer"). */
export class UnetrBasicBlock extends nn.Module {
  readonly layer: UnetResBlock;
  constructor(inChannels: number, outChannels: number) {
    super();
    this.layer = this.module("layer", new UnetResBlock(inChannels, outChannels));
  }
  /** (B, In, H, W) image -> (B, Out, H, W) features. */
  forward(x: Tensor): Tensor {
    return this.layer.forward(x);
  }
}

/** One step of UnetrPrUpBlock's `blocks` (conv_block and res_block): upsample, then a res block; (B, C, H, W) -> (B, C, 2H, 2W). */
class PrUpStep extends nn.Sequential {
  constructor(channels: number) {
    super([upConv(channels, channels), new UnetResBlock(channels, channels)]);
  }
}

/**
 * Projects a transformer feature grid up by 2^(numLayer+1): transp_conv_init, then numLayer
 * (transposed conv, UnetResBlock) pairs in `blocks`.
 */
export class UnetrPrUpBlock extends nn.Module {
  readonly transpConvInit: Convolution;
  readonly blocks: nn.ModuleList<PrUpStep>;
  constructor(inChannels: number, outChannels: number, numLayer: number) {
    super();
    this.transpConvInit = this.module("transp_conv_init", upConv(inChannels, outChannels));
    const steps = Array.from({ length: numLayer }, () => new PrUpStep(outChannels));
    this.blocks = this.module("blocks", new nn.ModuleList(steps));
  }
  /** (B, In, h, w) token grid -> (B, Out, h·2^(numLayer+1), w·2^(numLayer+1)). */
  forward(x: Tensor): Tensor {
    return scope(() => {
      let y = this.transpConvInit.forward(x); // (B, Out, 2h, 2w)
      for (const b of this.blocks) y = b.forward(y); // doubles H and W each step
      return y;
    });
  }
}

/** Decoder stage: upsample x2, concatenate (upsampled, skip) on channels, UnetResBlock(2·out → out). */
export class UnetrUpBlock extends nn.Module {
  readonly transpConv: Convolution;
  readonly convBlock: UnetResBlock;
  constructor(inChannels: number, outChannels: number) {
    super();
    this.transpConv = this.module("transp_conv", upConv(inChannels, outChannels));
    this.convBlock = this.module("conv_block", new UnetResBlock(2 * outChannels, outChannels));
  }
  /** x (B, In, H, W) and skip (B, Out, 2H, 2W) -> (B, Out, 2H, 2W). */
  forward(x: Tensor, skip: Tensor): Tensor {
    // upsampled (B, Out, 2H, 2W) ++ skip (B, Out, 2H, 2W) on channels -> (B, 2·Out, 2H, 2W)
    return scope(() => this.convBlock.forward(cat([this.transpConv.forward(x), skip], 1)));
  }
}

/** 1x1 conv with bias to class logits. */
export class UnetOutBlock extends nn.Module {
  readonly conv: Convolution;
  constructor(inChannels: number, outChannels: number) {
    super();
    this.conv = this.module("conv", new Convolution(inChannels, outChannels, { kernel: 1, bias: true }));
  }
  /** (B, In, H, W) features -> (B, classes, H, W) logits. */
  forward(x: Tensor): Tensor {
    return this.conv.forward(x);
  }
}
