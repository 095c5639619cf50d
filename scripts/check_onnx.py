#!/usr/bin/env python3
"""Checks hemoseg's ONNX exports in Python: the onnx checker, the metadata, and onnxruntime's
outputs against hemoseg's own forward pass.

Run by hand (not a test dependency), after `npx tsc -p .`, with a Python that has onnx,
onnxruntime and numpy, e.g.
    .venv/bin/pip install onnx onnxruntime
    .venv/bin/python scripts/check_onnx.py

hemoseg (through node) builds each model with random weights (every parameter moved off its
initial value), exports it with the library's exporter, and writes inputs of batch 1 and 3 with
its own outputs as .npy. This script then, for each model:
1. onnx.checker.check_model(full_check=True) (schema, types and shape inference), opset >= 17,
   a symbolic batch dimension on input and output;
2. metadata_props carry hemoseg.format, architecture, task, channels, tile, patch, class names,
   mean and std as exported;
3. onnxruntime (CPU) gives hemoseg's logits / features within 1e-4 for both batch sizes.
Exits non-zero on any failure.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOL = 1e-4

NODE = r"""
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
const root = process.argv[1];
const out = process.argv[2];
const imp = (p) => import(pathToFileURL(`${root}/dist/src/${p}`).href);
const { UNETR } = await imp("models/unetr.js");
const { BasicUNet, DEFAULT_UNET_FEATURES } = await imp("models/unet.js");
const { ViTModel } = await imp("models/vit.js");
const { presetConfig } = await imp("models/presets.js");
const { segmenterToOnnx, encoderToOnnx } = await imp("export/onnx/export.js");
const { writeNpy } = await imp("io/npy.js");
const { manualSeed, noGrad, randn } = await imp("torch/index.js");

const tiny = (patchSize) => ({
  hiddenSize: 24, numHiddenLayers: 3, numAttentionHeads: 2, intermediateSize: 32, hiddenAct: "gelu",
  layerNormEps: 1e-6, imageSize: 32, patchSize, numChannels: 5, qkvBias: true, initializerRange: 0.02,
  hiddenDropoutProb: 0, attentionProbsDropoutProb: 0,
});
const stats = (C) => ({
  mean: Array.from({ length: C }, (_, i) => 0.1 * i),
  std: Array.from({ length: C }, (_, i) => (i === 1 ? 0 : 1 + 0.1 * i)),
});
const names = (K) => Array.from({ length: K }, (_, i) => `class ${i}`);
const perturb = (m) => noGrad(() => { for (const p of m.parameters()) p.add_(randn(p.shape).mul(0.1)); });

const cases = [];
for (const p of [2, 4, 8, 16]) {
  cases.push([`unetr-tiny-p${p}`, () => UNETR.create(tiny(p), { outChannels: 4, featureSize: 4 }), 5, 32, "seg"]);
}
cases.push(["unetr-model2-p4-fs16", () => UNETR.create(presetConfig("model2", { patchSize: 4 }), { outChannels: 11, featureSize: 16 }), 16, 64, "seg"]);
cases.push(["unet-tiny-36px", () => new BasicUNet({ inChannels: 5, outChannels: 3, features: [4, 4, 8, 8, 16, 4] }), 5, 36, "seg"]);
cases.push(["unet-default", () => new BasicUNet({ inChannels: 16, outChannels: 11, features: DEFAULT_UNET_FEATURES }), 16, 64, "seg"]);
cases.push(["vit-encoder-model2-p4", () => new ViTModel(presetConfig("model2", { patchSize: 4 })), 16, 64, "enc"]);

const index = [];
cases.forEach(([name, make, C, T, kind], i) => {
  manualSeed(100 + i);
  const model = make();
  perturb(model);
  model.eval();
  const r = kind === "enc"
    ? encoderToOnnx(model, stats(C))
    : segmenterToOnnx(model, { ...stats(C), classes: names(model.config.outChannels), tile: T });
  writeFileSync(join(out, `${name}.onnx`), r.bytes);
  for (const B of [1, 3]) {
    const x = randn([B, C, T, T]);
    const y = noGrad(() => (kind === "enc" ? model.forward(x).lastHiddenState : model.forward(x)));
    writeNpy(join(out, `${name}_x${B}.npy`), x);
    writeNpy(join(out, `${name}_y${B}.npy`), y);
  }
  index.push({ name, meta: r.meta });
  model.dispose();
});
writeFileSync(join(out, "index.json"), JSON.stringify(index));
"""


def check(failures, name, ok, detail):
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    if not ok:
        failures.append(name)


def main():
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}, numpy {np.__version__}")
    failures = []
    with tempfile.TemporaryDirectory(prefix="hemoseg-check-onnx-") as tmp:
        subprocess.run(["node", "--input-type=module", "-e", NODE, ROOT, tmp], check=True)
        with open(os.path.join(tmp, "index.json")) as f:
            index = json.load(f)
        for case in index:
            name, meta = case["name"], case["meta"]
            path = os.path.join(tmp, f"{name}.onnx")
            model = onnx.load(path)
            try:
                onnx.checker.check_model(model, full_check=True)
                check(failures, f"{name} checker", True, f"valid, {len(model.graph.node)} nodes, "
                      f"{os.path.getsize(path) / 2**20:.2f} MiB")
            except Exception as e:  # noqa: BLE001 - report and go on
                check(failures, f"{name} checker", False, str(e).splitlines()[0])
            opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
            batch_in = model.graph.input[0].type.tensor_type.shape.dim[0].dim_param
            batch_out = model.graph.output[0].type.tensor_type.shape.dim[0].dim_param
            check(failures, f"{name} opset/batch", opset >= 17 and batch_in == "batch" and batch_out == "batch",
                  f"opset {opset}, IR {model.ir_version}, batch dims '{batch_in}' -> '{batch_out}'")
            props = {p.key: p.value for p in model.metadata_props}
            want = {
                "hemoseg.format": "hemoseg-onnx/1",
                "architecture": meta["architecture"],
                "task": meta["task"],
                "channels": str(meta["channels"]),
                "tile_size": str(meta["tile"]),
            }
            got = {k: props.get(k) for k in want}
            lists_ok = (json.loads(props.get("mean", "null")) == meta["mean"]
                        and json.loads(props.get("std", "null")) == meta["std"]
                        and json.loads(props.get("class_names", "null")) == meta.get("classes")
                        and props.get("patch_size") == (str(meta["patchSize"]) if "patchSize" in meta else None))
            check(failures, f"{name} metadata", got == want and lists_ok,
                  f"{meta['architecture']} {meta['task']}, tile {meta['tile']}, patch {meta.get('patchSize', '-')}, "
                  f"{len(meta.get('classes') or [])} classes, std {json.loads(props['std'])[:2]}...")
            sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            for b in (1, 3):
                x = np.load(os.path.join(tmp, f"{name}_x{b}.npy"))
                want_y = np.load(os.path.join(tmp, f"{name}_y{b}.npy"))
                (y,) = sess.run(None, {meta["input"]: x})
                diff = float(np.abs(y - want_y).max()) if y.shape == want_y.shape else float("inf")
                check(failures, f"{name} batch {b}", diff < TOL,
                      f"output {list(y.shape)}, max |onnxruntime - hemoseg| = {diff:.2e}")
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
