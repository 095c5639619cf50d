import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readJsonObject } from "../../src/io/json.js";
import {
  loadViTMAEConfig,
  parseViTConfig,
  parseViTMAEConfig,
  vitConfigToHF,
  vitMaeConfigToHF,
} from "../../src/models/hf-config.js";
import { presetConfig } from "../../src/models/presets.js";
import { canonicalKey } from "../../src/models/vitmae.js";
import { fixture } from "../helpers.js";

const maeJson = () => JSON.parse(readFileSync(fixture("vitmae-tiny-p4", "config.json"), "utf8"));

test("the fixture's vit_mae config.json reads into camelCase fields", () => {
  const c = loadViTMAEConfig(fixture("vitmae-tiny-p4", "config.json"));
  assert.deepEqual(c, {
    hiddenSize: 32,
    numHiddenLayers: 4,
    numAttentionHeads: 2,
    intermediateSize: 64,
    hiddenAct: "gelu",
    layerNormEps: 1e-6,
    imageSize: 16,
    patchSize: 4,
    numChannels: 3,
    qkvBias: true,
    initializerRange: 0.02,
    hiddenDropoutProb: 0,
    attentionProbsDropoutProb: 0,
    decoderHiddenSize: 24,
    decoderNumHiddenLayers: 2,
    decoderNumAttentionHeads: 2,
    decoderIntermediateSize: 48,
    maskRatio: 0.5,
    normPixLoss: true,
  });
});

test("configs written in HF's snake_case read back identically; HF's field set is kept", () => {
  const c = presetConfig("model1", { patchSize: 8, numChannels: 3 });
  const json = vitMaeConfigToHF(c);
  assert.equal(json.model_type, "vit_mae");
  assert.deepEqual(json.architectures, ["ViTMAEForPreTraining"]);
  const ref = maeJson();
  const hfKeys = Object.keys(ref).filter((k) => k !== "transformers_version");
  assert.deepEqual(Object.keys(json).sort(), hfKeys.sort());
  assert.deepEqual(parseViTMAEConfig(json, "x"), c);

  const vitRef = readJsonObject(fixture("unetr-tiny-p4-fs16", "config.json")).vit as Record<string, unknown>;
  const vit = parseViTConfig(vitRef, "unetr config 'vit'");
  assert.equal(vit.hiddenSize, 32);
  const back = vitConfigToHF(vit);
  for (const [k, v] of Object.entries(vitRef)) {
    if (k !== "transformers_version") assert.deepEqual(back[k], v, k);
  }
  assert.deepEqual(parseViTConfig(back, "x"), vit);
});

test("fields HF defaults may be absent; HF's square [n, n] sizes are accepted", () => {
  const j = maeJson();
  for (const k of [
    "hidden_act",
    "qkv_bias",
    "layer_norm_eps",
    "mask_ratio",
    "norm_pix_loss",
    "hidden_dropout_prob",
  ])
    delete j[k];
  j.image_size = [16, 16];
  const c = parseViTMAEConfig(j, "x");
  assert.deepEqual(
    [c.hiddenAct, c.qkvBias, c.layerNormEps, c.maskRatio, c.normPixLoss, c.hiddenDropoutProb, c.imageSize],
    ["gelu", true, 1e-12, 0.75, false, 0, 16],
  );
});

test("invalid configs fail naming the file and every bad field", () => {
  const dir = mkdtempSync(join(tmpdir(), "hemoseg-cfg-"));
  const path = join(dir, "config.json");
  const write = (j: unknown) => writeFileSync(path, typeof j === "string" ? j : JSON.stringify(j));
  const fails = (re: RegExp) =>
    assert.throws(
      () => loadViTMAEConfig(path),
      (e: Error) => e.message.startsWith(path) && re.test(e.message),
    );
  try {
    const j = maeJson();
    delete j.hidden_size;
    j.num_channels = "16";
    j.patch_size = 5;
    write(j);
    fails(/missing field 'hidden_size'[\s\S]*'patch_size' 5 does not divide 'image_size' 16/);
    fails(/'num_channels' must be an integer >= 1, got "16"/);

    write({ ...maeJson(), model_type: "vit" });
    fails(/holds a ViT encoder, not a ViTMAE \(pretrain run\)$/);
    // a fine-tuning run's UNETR says what it is instead of listing the ViTMAE fields it lacks
    write({ architecture: "unetr", feature_size: 16 });
    fails(/holds a UNETR segmenter \(finetune run\), not a ViTMAE \(pretrain run\)$/);
    write({ ...maeJson(), model_type: undefined });
    fails(/'model_type' must be "vit_mae", got undefined/);
    write({ ...maeJson(), mask_ratio: 1 });
    fails(/'mask_ratio' must be a number in \[0, 1\), got 1/);
    write({ ...maeJson(), decoder_num_attention_heads: 5 });
    fails(/'decoder_hidden_size' 24 is not a multiple of 'decoder_num_attention_heads' 5/);
    write({ ...maeJson(), hidden_size: 190, num_attention_heads: 5 });
    fails(/'hidden_size' 190 must be divisible by 4/);
    write({ ...maeJson(), hidden_act: "swish" });
    fails(/'hidden_act' must be one of gelu/);
    write({ ...maeJson(), image_size: [32, 16] });
    fails(/'image_size' must be an integer >= 1 \(or a square \[n, n\] pair\), got \[32,16\]/);
    write("{ not json");
    fails(/not valid JSON/);
    write("[1, 2]");
    fails(/not a JSON object/);
    rmSync(path);
    fails(/cannot read config/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("transformers 5.x decoder key names map to decoder_layers.N; other keys are untouched", () => {
  assert.equal(
    canonicalKey("decoder.decoder_encoder.layer.11.attention.attention.query.weight"),
    "decoder.decoder_layers.11.attention.attention.query.weight",
  );
  assert.equal(
    canonicalKey("vit.encoder.layer.0.output.dense.bias"),
    "vit.encoder.layer.0.output.dense.bias",
  );
  assert.equal(
    canonicalKey("decoder.decoder_layers.1.layernorm_after.bias"),
    "decoder.decoder_layers.1.layernorm_after.bias",
  );
});
