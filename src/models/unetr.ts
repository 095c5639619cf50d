// UNETR (Hatamizadeh et al. 2022) in 2-D as the seed paper built it: Hugging Face's ViTModel as
// the encoder (child "vit", HF key names) and MONAI's UNETR blocks as the decoder (MONAI key
// names), so checkpoints load both ways. For patch P = 2^n_up on an S x S input:
//   encoder1 = UnetrBasicBlock(C -> fs) on the image                              (S)
//   encoder{j+1} = UnetrPrUpBlock(D -> fs·2^j, n_up-j-1) on hidden_states[skip_j]  (S / 2^j), j = 1..n_up-1
//   decoder{j+2} = UnetrUpBlock(D or fs·2^(j+1) -> fs·2^j), j = n_up-1..0, from last_hidden_state
//   out = UnetOutBlock(fs -> classes)
// with skip_j = floor(L·j / n_up) + 1 in HF numbering (0 = embeddings, k = output of layer k).
import { Fields, readJsonObject } from "../io/json.js";
import { nn, scope, type Tensor } from "../torch/index.js";
import { checkpointFiles, loadWeightsFile, saveCheckpoint } from "./checkpoint-files.js";
import { parseViTConfig, vitConfigToHF } from "./hf-config.js";
import { UnetOutBlock, UnetrBasicBlock, UnetrPrUpBlock, UnetrUpBlock } from "./unetr-blocks.js";
import { type ViTConfig, ViTModel } from "./vit.js";

export interface UNETRConfig {
  /** The encoder; its patchSize, imageSize and numChannels are the model's. */
  vit: ViTConfig;
  outChannels: number;
  featureSize: number;
  /** HF hidden-state indices feeding the skips, one per upsampling stage but the last. */
  skipLayers: number[];
}

export const PATCH_SIZES = [2, 4, 8, 16];

/** log2 of the patch size: how many 2x upsampling stages take the token grid back to pixels. */
export function numUpsamplings(patchSize: number): number {
  if (!PATCH_SIZES.includes(patchSize)) {
    throw new Error(`UNETR: patch size ${patchSize} is not supported (use one of ${PATCH_SIZES.join(", ")})`);
  }
  return Math.log2(patchSize);
}

/** The paper's skip layers: floor(L·j / n_up) + 1 for j = 1..n_up-1 (L=6: P=8 → 3, 5; P=4 → 4; P=2 → none). */
export function defaultSkipLayers(numLayers: number, patchSize: number): number[] {
  const n = numUpsamplings(patchSize);
  return Array.from({ length: n - 1 }, (_, i) => Math.floor((numLayers * (i + 1)) / n) + 1);
}

export interface UNETROptions {
  outChannels: number;
  featureSize?: number;
  skipLayers?: number[];
}

export class UNETR extends nn.Module {
  readonly vit: ViTModel;
  readonly encoder1: UnetrBasicBlock;
  readonly prUps: UnetrPrUpBlock[]; // encoder2 .. encoder{n_up}
  readonly decoders: UnetrUpBlock[]; // decoder{n_up+1} .. decoder2, in the order they run
  readonly out: UnetOutBlock;
  readonly nUp: number;

  constructor(readonly config: UNETRConfig) {
    super();
    const { vit, outChannels, featureSize: fs, skipLayers } = config;
    const D = vit.hiddenSize;
    this.nUp = numUpsamplings(vit.patchSize);
    if (!Number.isInteger(fs) || fs < 1) {
      throw new Error(`UNETR: feature size must be a positive integer, got ${fs}`);
    }
    if (!Number.isInteger(outChannels) || outChannels < 1) {
      throw new Error(`UNETR: class count must be a positive integer, got ${outChannels}`);
    }
    if (
      skipLayers.length !== this.nUp - 1 ||
      !skipLayers.every((k) => Number.isInteger(k) && k >= 0 && k <= vit.numHiddenLayers)
    ) {
      throw new Error(
        `UNETR: patch ${vit.patchSize} needs ${this.nUp - 1} skip layer(s) in 0..${vit.numHiddenLayers}, got [${skipLayers}]`,
      );
    }
    this.vit = this.module("vit", new ViTModel(vit));
    this.encoder1 = this.module("encoder1", new UnetrBasicBlock(vit.numChannels, fs));
    this.prUps = [];
    for (let j = 1; j < this.nUp; j++) {
      this.prUps.push(this.module(`encoder${j + 1}`, new UnetrPrUpBlock(D, fs * 2 ** j, this.nUp - j - 1)));
    }
    this.decoders = [];
    for (let j = this.nUp - 1; j >= 0; j--) {
      const inC = j === this.nUp - 1 ? D : fs * 2 ** (j + 1);
      this.decoders.push(this.module(`decoder${j + 2}`, new UnetrUpBlock(inC, fs * 2 ** j)));
    }
    this.out = this.module("out", new UnetOutBlock(fs, outChannels));
  }

  /** A fresh model with HF-initialised encoder and PyTorch-default conv weights. */
  static create(vit: ViTConfig, o: UNETROptions): UNETR {
    return new UNETR({
      vit,
      outChannels: o.outChannels,
      featureSize: o.featureSize ?? 16,
      skipLayers: o.skipLayers ?? defaultSkipLayers(vit.numHiddenLayers, vit.patchSize),
    });
  }

  /** (B, C, S, S) -> logits (B, classes, S, S). */
  forward(pixelValues: Tensor): Tensor {
    return scope(() => {
      const [b, , h, w] = pixelValues.shape;
      const p = this.config.vit.patchSize;
      // (B, 1+L, D) -> drop CLS -> (B, D, h/p, w/p)
      const grid = (t: Tensor) =>
        t
          .narrow(1, 1, t.size(1) - 1)
          .reshape(b, h / p, w / p, t.size(2))
          .permute(0, 3, 1, 2);
      const { lastHiddenState, hiddenStates } = this.vit.forward(pixelValues, {
        outputHiddenStates: this.nUp > 1,
      });
      const skips = [this.encoder1.forward(pixelValues)]; // skips[j]: (B, fs·2^j, S/2^j, S/2^j)
      this.config.skipLayers.forEach((k, i) => {
        skips.push(this.prUps[i].forward(grid((hiddenStates as Tensor[])[k])));
      });
      let x = grid(lastHiddenState);
      this.decoders.forEach((dec, i) => {
        x = dec.forward(x, skips[this.nUp - 1 - i]);
      });
      return this.out.forward(x);
    });
  }

  /** Loads `config.json` (the layout savePretrained writes) and `model.safetensors` from dir. */
  static fromPretrained(dir: string): UNETR {
    const { config: cfgPath, weights } = checkpointFiles(dir);
    const config = unetrConfigFromJson(readJsonObject(cfgPath, "config"), cfgPath);
    let model: UNETR;
    try {
      model = new UNETR(config);
    } catch (e) {
      throw new Error(`${cfgPath}: ${(e as Error).message}`);
    }
    loadWeightsFile(model, weights);
    return model;
  }

  /** Writes config.json and model.safetensors into dir (created if needed), each atomically. */
  savePretrained(dir: string): void {
    saveCheckpoint(dir, this, unetrConfigToJson(this.config));
  }
}

/** The on-disk config: UNETR fields at the top, the encoder's HF ViT config under "vit". */
export function unetrConfigToJson(c: UNETRConfig): Record<string, unknown> {
  return {
    architecture: "unetr",
    patch_size: c.vit.patchSize,
    image_size: c.vit.imageSize,
    in_channels: c.vit.numChannels,
    out_channels: c.outChannels,
    feature_size: c.featureSize,
    skip_layers: c.skipLayers,
    vit: vitConfigToHF(c.vit),
  };
}

export function unetrConfigFromJson(j: Record<string, unknown>, path: string): UNETRConfig {
  if (j.architecture !== "unetr")
    throw new Error(`${path}: architecture is '${j.architecture}', expected 'unetr'`);
  if (typeof j.vit !== "object" || j.vit === null) throw new Error(`${path}: no 'vit' encoder config`);
  const vit = parseViTConfig(j.vit as Record<string, unknown>, `${path}: 'vit'`);
  const same: [string, number][] = [
    ["patch_size", vit.patchSize],
    ["image_size", vit.imageSize],
    ["in_channels", vit.numChannels],
  ];
  for (const [k, v] of same) {
    if (k in j && j[k] !== v) throw new Error(`${path}: '${k}' is ${j[k]} but the vit config says ${v}`);
  }
  numUpsamplings(vit.patchSize);
  const skipLayers = j.skip_layers ?? defaultSkipLayers(vit.numHiddenLayers, vit.patchSize);
  if (!Array.isArray(skipLayers)) throw new Error(`${path}: 'skip_layers' must be a list of layer indices`);
  const f = new Fields(j);
  const head = { outChannels: f.int("out_channels"), featureSize: f.int("feature_size") };
  f.fail(path);
  return { vit, ...head, skipLayers };
}
