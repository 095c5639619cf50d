import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import * as ort from "onnxruntime-node";
import { encoderToOnnx, exportRunToFile, segmenterToOnnx } from "../../src/export/onnx/export.js";
import {
  metadataProps,
  parseMetadataProps,
  readMetadataProps,
  readOnnxMeta,
} from "../../src/export/onnx/metadata.js";
import { loadEncoder } from "../../src/models/encoder-transfer.js";
import { BasicUNet } from "../../src/models/unet.js";
import { UNETR } from "../../src/models/unetr.js";
import { type ViTConfig, ViTModel } from "../../src/models/vit.js";
import { ViTMAEForPreTraining } from "../../src/models/vitmae.js";
import { manualSeed, type nn, noGrad, randn, type Tensor } from "../../src/torch/index.js";
import { tinyViT as tinyViTBase } from "../helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "hemoseg-onnx-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

// Five channels: the export must carry a channel count other than the default three.
const tinyViT = (patchSize: number, over: Partial<ViTConfig> = {}): ViTConfig =>
  tinyViTBase(patchSize, { numChannels: 5, ...over });

/** Moves every parameter off its initial value (layer-norm ones, zero biases) so each one matters. */
function perturb(m: nn.Module, scale = 0.1): void {
  noGrad(() => {
    for (const p of m.parameters()) {
      const r = randn(p.shape).mul(scale);
      p.add_(r);
      r.dispose();
    }
  });
}

/** Runs the model in onnxruntime-node on x (B, C, T, T); returns the one output. */
async function runOnnx(
  bytes: Uint8Array,
  input: string,
  x: Tensor,
): Promise<{ data: Float32Array; dims: number[] }> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const feeds = { [input]: new ort.Tensor("float32", x.toFloat32Array(), x.shape) };
    const out = await session.run(feeds);
    const t = out[session.outputNames[0]];
    return { data: t.data as Float32Array, dims: [...t.dims] };
  } finally {
    await session.release();
  }
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** hemoseg's forward and onnxruntime's agree within 1e-4 for a batch of 1 and of 3. */
async function assertParity(
  bytes: Uint8Array,
  forward: (x: Tensor) => Tensor,
  C: number,
  T: number,
  what: string,
): Promise<void> {
  for (const B of [1, 3]) {
    const x = randn([B, C, T, T]);
    const want = noGrad(() => forward(x));
    try {
      const got = await runOnnx(bytes, "pixel_values", x);
      assert.deepEqual(got.dims, want.shape, `${what}, batch ${B}: output shape`);
      const d = maxDiff(got.data, want.toFloat32Array());
      assert.ok(d < 1e-4, `${what}, batch ${B}: max |onnx - hemoseg| = ${d}`);
    } finally {
      x.dispose();
      want.dispose();
    }
  }
}

const stats = (C: number) => ({
  mean: Array.from({ length: C }, (_, i) => 100 + i),
  std: Array.from({ length: C }, (_, i) => (i === 1 ? 0 : 10 + i)),
});

describe("ONNX export: same logits as hemoseg in onnxruntime-node", () => {
  for (const patch of [2, 4, 8, 16]) {
    it(`UNETR, patch ${patch}`, async () => {
      manualSeed(patch);
      const model = UNETR.create(tinyViT(patch), { outChannels: 4, featureSize: 4 });
      perturb(model);
      model.eval();
      try {
        const classes = ["a", "b", "c", "d"];
        const r = segmenterToOnnx(model, { ...stats(5), classes, tile: 32 });
        assert.equal(r.meta.patchSize, patch);
        await assertParity(r.bytes, (x) => model.forward(x), 5, 32, `UNETR p${patch}`);
      } finally {
        model.dispose();
      }
    });
  }

  for (const tile of [32, 36]) {
    it(`BasicUNet, ${tile} px tile${tile % 16 ? " (odd sizes: replicate padding after upsampling)" : ""}`, async () => {
      manualSeed(tile);
      const model = new BasicUNet({ inChannels: 5, outChannels: 3, features: [4, 4, 8, 8, 16, 4] });
      perturb(model);
      model.eval();
      try {
        const r = segmenterToOnnx(model, { ...stats(5), classes: ["x", "y", "z"], tile });
        await assertParity(r.bytes, (x) => model.forward(x), 5, tile, `U-Net ${tile}`);
      } finally {
        model.dispose();
      }
    });
  }

  for (const act of ["gelu", "gelu_new", "relu"]) {
    it(`ViT encoder alone (${act}): last_hidden_state`, async () => {
      manualSeed(7);
      const vit = new ViTModel(tinyViT(4, { hiddenAct: act, qkvBias: act !== "relu" }));
      perturb(vit);
      vit.eval();
      try {
        const r = encoderToOnnx(vit, stats(5));
        assert.equal(r.meta.task, "features");
        await assertParity(r.bytes, (x) => vit.forward(x).lastHiddenState, 5, 32, `ViT ${act}`);
      } finally {
        vit.dispose();
      }
    });
  }
});

describe("ONNX export: metadata", () => {
  it("round-trips mean, std (zeros as 1), class names, patch and tile sizes, architecture", () => {
    manualSeed(0);
    const model = UNETR.create(tinyViT(8), { outChannels: 2, featureSize: 2 });
    try {
      const r = segmenterToOnnx(model, { ...stats(5), classes: ["background", "wbc"], tile: 32 });
      const props = readMetadataProps(r.bytes, "m.onnx");
      assert.equal(props["hemoseg.format"], "hemoseg-onnx/1");
      const meta = parseMetadataProps(props, "m.onnx");
      assert.deepEqual(meta, {
        architecture: "unetr",
        task: "segmentation",
        input: "pixel_values",
        output: "logits",
        channels: 5,
        tile: 32,
        patchSize: 8,
        classes: ["background", "wbc"],
        mean: [100, 101, 102, 103, 104],
        std: [10, 1, 12, 13, 14],
      });
      assert.deepEqual(metadataProps(meta), props);
    } finally {
      model.dispose();
    }
  });

  it("refuses a file that is not a hemoseg export, or whose metadata is wrong, naming file and key", () => {
    const good = metadataProps({
      architecture: "basic_unet",
      task: "segmentation",
      input: "pixel_values",
      output: "logits",
      channels: 2,
      tile: 16,
      classes: ["a"],
      mean: [0, 0],
      std: [1, 1],
    });
    assert.throws(() => parseMetadataProps({}, "x.onnx"), /x\.onnx: not a hemoseg ONNX export/);
    assert.throws(
      () => parseMetadataProps({ ...good, mean: "[0]" }, "x.onnx"),
      /x\.onnx: metadata 'mean' must be 2/,
    );
    assert.throws(() => parseMetadataProps({ ...good, std: "[1, 0]" }, "x.onnx"), /'std' must be positive/);
    assert.throws(
      () => parseMetadataProps({ ...good, tile_size: "0" }, "x.onnx"),
      /'tile_size' must be a positive/,
    );
    assert.throws(
      () => parseMetadataProps({ ...good, class_names: "{" }, "x.onnx"),
      /'class_names' is not valid JSON/,
    );
    const junk = join(tmp, "junk.onnx");
    writeFileSync(junk, "this is not protobuf at all, just text");
    assert.throws(() => readOnnxMeta(junk), new RegExp(`${junk}: not an ONNX model`));
  });
});

describe("ONNX export from a run directory", () => {
  /** A finetune-style run: run.json + best/ (config.json, model.safetensors). */
  function makeRun(name: string, model: UNETR | BasicUNet, command: string): string {
    const run = join(tmp, name);
    mkdirSync(run, { recursive: true });
    model.savePretrained(join(run, "best"));
    writeFileSync(
      join(run, "run.json"),
      JSON.stringify({
        command,
        data: tmp,
        classes: ["p", "q", "r"],
        stats: stats(5),
        tile: 32,
        channels: 5,
      }),
    );
    return run;
  }

  it("writes the checkpoint's segmenter and its encoder; the files run with the checkpoint's weights", async () => {
    manualSeed(3);
    const model = UNETR.create(tinyViT(4), { outChannels: 3, featureSize: 4 });
    perturb(model);
    model.eval();
    try {
      const run = makeRun("unetr-run", model, "finetune");
      const file = join(tmp, "unetr.onnx");
      const r = exportRunToFile({ run, onnx: file });
      assert.deepEqual(readOnnxMeta(file), r.meta);
      assert.equal(r.meta.sourceRun, run);
      await assertParity(readFileSync(file), (x) => model.forward(x), 5, 32, "UNETR from run");
      const enc = join(tmp, "encoder.onnx");
      exportRunToFile({ run, onnx: enc, what: "encoder" });
      assert.equal(readOnnxMeta(enc).architecture, "vit");
      await assertParity(
        readFileSync(enc),
        (x) => model.vit.forward(x).lastHiddenState,
        5,
        32,
        "encoder from run",
      );
    } finally {
      model.dispose();
    }
  });

  it("exports a pre-training run's ViTMAE encoder with its dataset's statistics", async () => {
    manualSeed(5);
    const mae = new ViTMAEForPreTraining({
      ...tinyViT(4),
      decoderHiddenSize: 16,
      decoderNumHiddenLayers: 1,
      decoderNumAttentionHeads: 2,
      decoderIntermediateSize: 16,
      maskRatio: 0.5,
      normPixLoss: true,
    });
    perturb(mae);
    const run = join(tmp, "mae-run");
    const data = join(tmp, "mae-data");
    mkdirSync(data, { recursive: true });
    mae.savePretrained(join(run, "best"));
    mae.dispose();
    writeFileSync(join(data, "dataset.json"), JSON.stringify({ stats: stats(5) }));
    writeFileSync(join(run, "run.json"), JSON.stringify({ command: "pretrain", data }));
    const file = join(tmp, "mae-encoder.onnx");
    assert.throws(() => exportRunToFile({ run, onnx: file }), /a pre-training run; only its encoder exports/);
    const r = exportRunToFile({ run, onnx: file, what: "encoder" });
    assert.deepEqual(r.meta.std, [10, 1, 12, 13, 14]);
    // The reference: the same checkpoint's encoder as fine-tuning loads it (sin-cos position embeddings).
    const ref = UNETR.create(tinyViT(4), { outChannels: 1, featureSize: 1 });
    try {
      loadEncoder(ref, join(run, "best"));
      ref.eval();
      await assertParity(readFileSync(file), (x) => ref.vit.forward(x).lastHiddenState, 5, 32, "MAE encoder");
    } finally {
      ref.dispose();
    }
  });

  it("refuses a U-Net's encoder, a run of another kind and a missing run.json, naming the run", () => {
    manualSeed(4);
    const unet = new BasicUNet({ inChannels: 5, outChannels: 3, features: [2, 2, 2, 2, 2, 2] });
    try {
      const run = makeRun("unet-run", unet, "train-unet");
      assert.throws(
        () => exportRunToFile({ run, onnx: join(tmp, "u.onnx"), what: "encoder" }),
        new RegExp(`${run}: a U-Net has no ViT encoder`),
      );
      const other = makeRun("other-run", unet, "sweep");
      assert.throws(
        () => exportRunToFile({ run: other, onnx: join(tmp, "o.onnx") }),
        /'command' must be one of pretrain, finetune, train-unet, got "sweep"/,
      );
      assert.throws(() => exportRunToFile({ run: tmp, onnx: join(tmp, "n.onnx") }), /no run\.json/);
    } finally {
      unet.dispose();
    }
  });
});
