import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadSafetensors, saveSafetensors } from "../../src/io/safetensors.js";
import { formatEncoderReport, freezeEncoder, loadEncoder } from "../../src/models/encoder-transfer.js";
import { vitConfigToHF } from "../../src/models/hf-config.js";
import { sinCosPosEmbed2d } from "../../src/models/pos-embed.js";
import { presetConfig } from "../../src/models/presets.js";
import { UNETR } from "../../src/models/unetr.js";
import type { ViTConfig } from "../../src/models/vit.js";
import { dispose, randn, scope, type Tensor } from "../../src/torch/index.js";
import { assertClose, fixture } from "../helpers.js";

const MAE = fixture("vitmae-tiny-p4");
const UNETR_FIXTURE = fixture("unetr-tiny-p4-fs16");

// The ViTMAE fixture's encoder: hidden 32, 4 layers, 2 heads, patch 4, 3 x 16 x 16.
const tiny: ViTConfig = {
  ...presetConfig("model2", { imageSize: 16, patchSize: 4, numChannels: 3 }),
  hiddenSize: 32,
  numHiddenLayers: 4,
  numAttentionHeads: 2,
  intermediateSize: 64,
};
const unetr = (over: Partial<ViTConfig> = {}) =>
  UNETR.create({ ...tiny, ...over }, { outChannels: 4, featureSize: 16 });

const tmp = mkdtempSync(join(tmpdir(), "encoder-transfer-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Every vit.* tensor of model equals the checkpoint's (key mapped by mapKey). */
function assertEncoderEquals(
  model: UNETR,
  ckpt: Record<string, Tensor>,
  mapKey: (k: string) => string,
  skip: string[] = [],
) {
  for (const [k, t] of Object.entries(model.stateDict())) {
    if (!k.startsWith("vit.") || skip.includes(k)) continue;
    assertClose(t, ckpt[mapKey(k)], 0, k);
  }
}

describe("loadEncoder", () => {
  it("takes the ViT part of a Hugging Face ViTMAE checkpoint and ignores the decoder", () => {
    const model = unetr();
    const report = loadEncoder(model, MAE);
    const ckpt = loadSafetensors(join(MAE, "model.safetensors"));
    const vitKeys = Object.keys(model.stateDict()).filter((k) => k.startsWith("vit."));
    assert.equal(report.source, "vit_mae");
    assert.deepEqual([...report.loaded].sort(), vitKeys.sort());
    assert.deepEqual(report.missing, []);
    assert.deepEqual(
      [...report.ignored].sort(),
      Object.keys(ckpt)
        .filter((k) => k.startsWith("decoder."))
        .sort(),
    );
    assertEncoderEquals(model, ckpt, (k) => k);
    const text = formatEncoderReport(report);
    assert.match(
      text,
      new RegExp(`${vitKeys.length} tensors loaded, 0 missing, ${report.ignored.length} ignored`),
    );
    assert.match(text, /ignored: decoder\.decoder_layers\.\* \(32\)/);
    // The decoder is untouched by the transfer, and the whole model still runs.
    const y = scope(() => model.forward(randn([1, 3, 16, 16])));
    assert.deepEqual(y.shape, [1, 4, 16, 16]);
    dispose([ckpt, y]);
    model.dispose();
  });

  it("refuses a mismatched patch size, hidden size or channel count, naming the file", () => {
    for (const [over, what] of [
      [{ patchSize: 8 }, /patch size: checkpoint 4, model 8/],
      [{ hiddenSize: 96 }, /hidden size: checkpoint 32, model 96/],
      [{ numChannels: 16 }, /channel count: checkpoint 3, model 16/],
      [{ numHiddenLayers: 6 }, /layer count: checkpoint 4, model 6/],
    ] as const) {
      const model = unetr(over);
      assert.throws(
        () => loadEncoder(model, MAE),
        (e: Error) => e.message.includes(join(MAE, "config.json")) && what.test(e.message),
      );
      model.dispose();
    }
  });

  it("recomputes the ViTMAE's sin-cos position embeddings for another image size", () => {
    // The fixture's fixed embeddings are exactly the sin-cos table for its 4 x 4 grid ...
    const ckpt = loadSafetensors(join(MAE, "model.safetensors"));
    const table8 = sinCosPosEmbed2d(4, 32);
    assertClose(ckpt["vit.embeddings.position_embeddings"], table8, 1e-6, "fixture position embeddings");
    // ... so a 64 px UNETR gets the 16 x 16 table.
    const model = unetr({ imageSize: 64 });
    const report = loadEncoder(model, MAE);
    assert.deepEqual(report.generated, ["vit.embeddings.position_embeddings"]);
    assert.ok(!report.loaded.includes("vit.embeddings.position_embeddings"));
    const table16 = sinCosPosEmbed2d(16, 32);
    assertClose(model.vit.embeddings.positionEmbeddings, table16, 0, "regridded position embeddings");
    assertEncoderEquals(model, ckpt, (k) => k, ["vit.embeddings.position_embeddings"]);
    assert.match(
      formatEncoderReport(report),
      /computed for this image size: vit\.embeddings\.position_embeddings/,
    );
    dispose([ckpt, table8, table16]);
    model.dispose();
  });

  it("takes a Hugging Face ViTModel checkpoint (unprefixed keys), ignoring its pooler", () => {
    const src = unetr();
    const dir = join(tmp, "hf-vit");
    const sd: Record<string, Tensor> = { ...src.vit.stateDict() };
    const pooler = { "pooler.dense.weight": randn([32, 32]), "pooler.dense.bias": randn([32]) };
    mkdirSync(dir);
    saveSafetensors(join(dir, "model.safetensors"), { ...sd, ...pooler });
    writeFileSync(join(dir, "config.json"), JSON.stringify(vitConfigToHF(tiny)));
    const model = unetr();
    const report = loadEncoder(model, dir);
    assert.equal(report.source, "vit");
    assert.deepEqual([...report.ignored].sort(), ["pooler.dense.bias", "pooler.dense.weight"]);
    assert.equal(report.missing.length, 0);
    assertEncoderEquals(model, sd, (k) => k.slice(4));
    dispose(pooler);
    src.dispose();
    model.dispose();
  });

  it("reports the tensors a checkpoint lacks as missing, and takes a hemoseg UNETR's encoder", () => {
    const dir = join(tmp, "partial");
    const ckpt = loadSafetensors(join(UNETR_FIXTURE, "model.safetensors"));
    const kept = Object.fromEntries(Object.entries(ckpt).filter(([k]) => !k.startsWith("vit.layernorm.")));
    mkdirSync(dir);
    saveSafetensors(join(dir, "model.safetensors"), kept);
    copyFileSync(join(UNETR_FIXTURE, "config.json"), join(dir, "config.json"));
    const model = unetr();
    const report = loadEncoder(model, dir);
    assert.equal(report.source, "unetr");
    assert.deepEqual(report.missing.sort(), ["vit.layernorm.bias", "vit.layernorm.weight"]);
    assert.ok(
      report.ignored.every((k) => !k.startsWith("vit.")) && report.ignored.includes("out.conv.conv.bias"),
    );
    assertEncoderEquals(model, ckpt, (k) => k, report.missing);
    assert.match(formatEncoderReport(report), /missing \(left as initialised\): vit\.layernorm\.weight/);
    dispose(ckpt);
    model.dispose();
  });

  it("refuses a learned-position ViT of another image size, and a directory that is no checkpoint", () => {
    const dir = join(tmp, "hf-vit-64");
    const src = unetr({ imageSize: 64 });
    mkdirSync(dir);
    saveSafetensors(join(dir, "model.safetensors"), src.vit.stateDict());
    writeFileSync(join(dir, "config.json"), JSON.stringify(vitConfigToHF({ ...tiny, imageSize: 64 })));
    const model = unetr();
    assert.throws(() => loadEncoder(model, dir), /trained on 64 px images and this UNETR takes 16 px/);
    assert.throws(() => loadEncoder(model, join(tmp, "nothing")), /nothing.*config\.json: not found/);
    src.dispose();
    model.dispose();
  });
});

describe("freezeEncoder", () => {
  it("stops gradients into the encoder only, and thaws again", () => {
    const model = unetr();
    const encoderParams = model.vit.parameters().length;
    assert.equal(freezeEncoder(model, true), encoderParams);
    const step = () =>
      scope(() => {
        for (const p of model.parameters()) p.grad = null;
        model
          .forward(randn([1, 3, 16, 16]))
          .square()
          .mean()
          .backward();
        const has = (prefix: string) =>
          model
            .namedParameters()
            .filter(([k]) => k.startsWith(prefix))
            .map(([, p]) => p.grad !== null);
        return { vit: has("vit."), decoder: has("decoder2.") };
      });
    let got = step();
    assert.ok(
      got.vit.every((g) => !g),
      "a frozen encoder parameter got a gradient",
    );
    assert.ok(got.decoder.every((g) => g));
    assert.equal(freezeEncoder(model, false), encoderParams);
    got = step();
    assert.ok(
      got.vit.every((g) => g),
      "a thawed encoder parameter got no gradient",
    );
    model.dispose();
  });
});
