// ONNX emitters for hemoseg's models, one per module class, each following that module's forward:
// the ViT encoder (HF ViTModel), MONAI's UNETR blocks and UNETR, and MONAI's BasicUNet. Every
// graph takes (batch, C, T, T) float32 pixels already normalised per channel; the batch is dynamic,
// the tile T fixed (the ViT's position embeddings and the U-Net's pooling chain are built for it).
import type { BasicUNet, Down, TwoConv, UpCat } from "../../models/unet.js";
import type { UNETR } from "../../models/unetr.js";
import type {
  Convolution,
  UnetOutBlock,
  UnetResBlock,
  UnetrBasicBlock,
  UnetrPrUpBlock,
  UnetrUpBlock,
} from "../../models/unetr-blocks.js";
import type { ViTLayer, ViTModel, ViTSelfAttention } from "../../models/vit.js";
import { nn } from "../../torch/index.js";
import {
  activation,
  conv2d,
  convTranspose2d,
  type Emitter,
  instanceNorm,
  layerNorm,
  leakyRelu,
  linear,
} from "./layers.js";

// ---- ViT -----------------------------------------------------------------------------------------

function selfAttention(e: Emitter, m: ViTSelfAttention, x: string, tokens: number): string {
  const d = m.query.weight.size(0);
  const dh = d / m.heads;
  const heads = e.int64([0, tokens, m.heads, dh]);
  const split = (lin: typeof m.query, perm: number[]) =>
    e.op("Transpose", [e.op("Reshape", [linear(e, lin, x), heads])], { perm: { ints: perm } });
  const q = split(m.query, [0, 2, 1, 3]); // (B, H, T, Dh)
  const kT = split(m.key, [0, 2, 3, 1]); // (B, H, Dh, T)
  const v = split(m.value, [0, 2, 1, 3]);
  const scores = e.op("Mul", [e.op("MatMul", [q, kT]), e.scalar(dh ** -0.5)]);
  const ctx = e.op("MatMul", [e.op("Softmax", [scores], { axis: { i: -1 } }), v]); // (B, H, T, Dh)
  const merged = e.op("Transpose", [ctx], { perm: { ints: [0, 2, 1, 3] } });
  return e.op("Reshape", [merged, e.int64([0, tokens, d])]);
}

/** One pre-norm block: x + attn(ln(x)), then h + mlp(ln(h)). */
function vitLayer(e: Emitter, m: ViTLayer, act: string, x: string, tokens: number): string {
  const a = selfAttention(e, m.attention.attention, layerNorm(e, m.layernormBefore, x), tokens);
  const h = e.op("Add", [linear(e, m.attention.output.dense, a), x]);
  const mid = activation(e, act, linear(e, m.intermediate.dense, layerNorm(e, m.layernormAfter, h)));
  return e.op("Add", [linear(e, m.output.dense, mid), h]);
}

export interface ViTValues {
  /** (B, 1 + L, D) after the final layer norm. */
  last: string;
  /** HF numbering: 0 = embeddings, k = output of layer k (before the final layer norm). */
  hidden: string[];
}

/** HF ViTModel (no pooler) on (B, C, S, S). */
export function vitModel(e: Emitter, m: ViTModel, pixels: string): ViTValues {
  const { hiddenSize: D, imageSize, patchSize, hiddenAct } = m.config;
  const L = (imageSize / patchSize) ** 2;
  const emb = m.embeddings;
  // Patches: conv, (B, D, S/p, S/p) -> (B, L, D), plus their position embeddings.
  const proj = conv2d(e, emb.patchEmbeddings.projection, pixels);
  const patches = e.op("Transpose", [e.op("Reshape", [proj, e.int64([0, D, L])])], {
    perm: { ints: [0, 2, 1] },
  });
  const posKey = e.keyOf(emb.positionEmbeddings, "position_embeddings");
  const pos = e.derived(`${posKey}[1:]`, () => emb.positionEmbeddings.narrow(1, 1, L).contiguous());
  const patchesPos = e.op("Add", [patches, pos]);
  // CLS row: cls_token + position_embeddings[0] (the same float sum hemoseg makes), one per image.
  const clsKey = e.keyOf(emb.clsToken, "cls_token");
  const cls = e.derived(`${clsKey}+${posKey}[0]`, () =>
    emb.clsToken.add(emb.positionEmbeddings.narrow(1, 0, 1)),
  );
  const batch = e.op("Slice", [e.op("Shape", [pixels]), e.int64([0]), e.int64([1])]);
  const clsShape = e.op("Concat", [batch, e.int64([1, D])], { axis: { i: 0 } });
  const clsRows = e.op("Expand", [cls, clsShape]);
  let h = e.op("Concat", [clsRows, patchesPos], { axis: { i: 1 } }, "embeddings"); // (B, 1 + L, D)
  const hidden = [h];
  for (const layer of m.encoder.layer) {
    h = vitLayer(e, layer, hiddenAct, h, L + 1);
    hidden.push(h);
  }
  return { last: layerNorm(e, m.layernorm, h), hidden };
}

// ---- MONAI UNETR blocks --------------------------------------------------------------------------

function convolution(e: Emitter, m: Convolution, x: string): string {
  return m.conv instanceof nn.ConvTranspose2d ? convTranspose2d(e, m.conv, x) : conv2d(e, m.conv, x);
}

const outChannels = (m: Convolution) =>
  m.conv instanceof nn.ConvTranspose2d ? m.conv.weight.size(1) : m.conv.weight.size(0);

function resBlock(e: Emitter, m: UnetResBlock, x: string): string {
  const c = outChannels(m.conv1);
  const h = leakyRelu(e, m.lrelu, instanceNorm(e, m.norm1, convolution(e, m.conv1, x), c));
  const out = instanceNorm(e, m.norm2, convolution(e, m.conv2, h), c);
  const res = m.conv3 && m.norm3 ? instanceNorm(e, m.norm3, convolution(e, m.conv3, x), c) : x;
  return leakyRelu(e, m.lrelu, e.op("Add", [out, res]));
}

const basicBlock = (e: Emitter, m: UnetrBasicBlock, x: string) => resBlock(e, m.layer, x);

function prUpBlock(e: Emitter, m: UnetrPrUpBlock, x: string): string {
  let y = convolution(e, m.transpConvInit, x);
  for (const step of m.blocks) {
    const [up, res] = step.items as [Convolution, UnetResBlock];
    y = resBlock(e, res, convolution(e, up, y));
  }
  return y;
}

function upBlock(e: Emitter, m: UnetrUpBlock, x: string, skip: string): string {
  const up = convolution(e, m.transpConv, x);
  return resBlock(e, m.convBlock, e.op("Concat", [up, skip], { axis: { i: 1 } }));
}

const outBlock = (e: Emitter, m: UnetOutBlock, x: string) => convolution(e, m.conv, x);

/** UNETR on (B, C, S, S) -> logits (B, classes, S, S). */
export function unetr(e: Emitter, m: UNETR, pixels: string): string {
  const { vit: cfg, skipLayers } = m.config;
  const g = cfg.imageSize / cfg.patchSize;
  // (B, 1 + L, D) -> drop CLS -> (B, D, g, g)
  const grid = (t: string) =>
    e.op(
      "Transpose",
      [
        e.op("Reshape", [
          e.op("Slice", [t, e.int64([1]), e.int64([1 + g * g]), e.int64([1])]),
          e.int64([0, g, g, cfg.hiddenSize]),
        ]),
      ],
      { perm: { ints: [0, 3, 1, 2] } },
    );
  const { last, hidden } = vitModel(e, m.vit, pixels);
  const skips = [basicBlock(e, m.encoder1, pixels)];
  skipLayers.forEach((k, i) => {
    skips.push(prUpBlock(e, m.prUps[i], grid(hidden[k])));
  });
  let x = grid(last);
  m.decoders.forEach((dec, i) => {
    x = upBlock(e, dec, x, skips[m.nUp - 1 - i]);
  });
  return outBlock(e, m.out, x);
}

// ---- MONAI BasicUNet -----------------------------------------------------------------------------

function twoConv(e: Emitter, m: TwoConv, x: string): string {
  let y = x;
  for (const c of [m.conv0, m.conv1]) {
    const z = conv2d(e, c.conv, y);
    y = leakyRelu(e, c.adn.A, instanceNorm(e, c.adn.N, z, c.conv.weight.size(0)));
  }
  return y;
}

function down(e: Emitter, m: Down, x: string): string {
  const pooled = e.op("MaxPool", [x], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } });
  return twoConv(e, m.convs, pooled);
}

/** Upsample, replicate-pad to the skip's size where pooling dropped a row/column, cat (skip, up). */
function upCat(e: Emitter, m: UpCat, x: string, skip: string, upSize: number, skipSize: number): string {
  let up = convTranspose2d(e, m.upsample.deconv, x);
  const pad = skipSize - upSize;
  if (pad) up = e.op("Pad", [up, e.int64([0, 0, 0, 0, 0, 0, pad, pad])], { mode: { s: "edge" } });
  return twoConv(e, m.convs, e.op("Concat", [skip, up], { axis: { i: 1 } }));
}

/** BasicUNet on (B, C, S, S) -> logits (B, classes, S, S). */
export function basicUNet(e: Emitter, m: BasicUNet, pixels: string, size: number): string {
  const sizes = [size]; // spatial size of each skip x0 .. x4
  const skips = [twoConv(e, m.conv0, pixels)];
  for (const d of m.downs) {
    sizes.push(Math.floor(sizes[sizes.length - 1] / 2));
    skips.push(down(e, d, skips[skips.length - 1]));
  }
  if (sizes[4] < 1)
    throw new Error(`ONNX export: a ${size} px tile is too small for the U-Net's four poolings`);
  let u = skips[4];
  m.upcats.forEach((up, i) => {
    u = upCat(e, up, u, skips[3 - i], 2 * sizes[4 - i], sizes[3 - i]);
  });
  return conv2d(e, m.finalConv, u);
}
