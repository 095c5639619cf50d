#!/usr/bin/env python3
"""Checks ViTMAE checkpoints cross between hemoseg and Hugging Face transformers, both ways.

Run by hand (not a test dependency), after `npx tsc -p .`, with a Python that has torch,
transformers and safetensors, e.g.  /work/main/.venv/bin/python scripts/check_hf_load.py

1. hemoseg loads the parity fixture and saves it; transformers' ViTMAEForPreTraining.from_pretrained
   must load the directory with no missing or unexpected keys and give the fixture's loss.
2. hemoseg saves a freshly initialised model (MAE init); transformers loads it cleanly and agrees
   with hemoseg's loss and logits on random inputs.
3. transformers saves a model of a random config (with whatever key names this transformers
   version writes); hemoseg loads it and agrees with transformers' loss and logits.
Exits non-zero on any failure.
"""

import json
import os
import random
import subprocess
import sys
import tempfile

import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import ViTMAEConfig, ViTMAEForPreTraining

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "test", "fixtures", "vitmae-tiny-p4")
TOL = 1e-4

# hemoseg side: `copy` re-saves a checkpoint, `fresh` saves a new model2-shaped model, `run` writes outputs.
NODE = """
import { pathToFileURL } from "node:url";
const root = process.argv[1];
const imp = (p) => import(pathToFileURL(`${root}/dist/src/${p}`).href);
const { ViTMAEForPreTraining } = await imp("models/vitmae.js");
const { presetConfig } = await imp("models/presets.js");
const { loadSafetensors, saveSafetensors } = await imp("io/safetensors.js");
const { manualSeed } = await imp("torch/index.js");
const [cmd, a, b, c] = process.argv.slice(2);
if (cmd === "copy") ViTMAEForPreTraining.fromPretrained(a).savePretrained(b);
if (cmd === "fresh") {
  manualSeed(7);
  new ViTMAEForPreTraining(presetConfig("model2", JSON.parse(a))).savePretrained(b);
}
if (cmd === "run") {
  const model = ViTMAEForPreTraining.fromPretrained(a);
  model.eval();
  const io = loadSafetensors(b);
  const out = model.forward({ pixelValues: io.pixel_values, noise: io.noise });
  saveSafetensors(c, { loss: out.loss.reshape(1), logits: out.logits, mask: out.mask });
}
"""


def node(*args):
    subprocess.run(["node", "--input-type=module", "-e", NODE, ROOT, *args], check=True)


def hf_load(path):
    model, info = ViTMAEForPreTraining.from_pretrained(path, output_loading_info=True, attn_implementation="eager")
    bad = {k: v for k, v in info.items() if v}
    return model.eval(), bad


def hf_run(model, pixel_values, noise):
    with torch.no_grad():
        out = model(pixel_values=pixel_values, noise=noise)
    return out


failures = []


def check(name, ok, detail):
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    if not ok:
        failures.append(name)


def main():
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")
    io = load_file(os.path.join(FIXTURE, "io.safetensors"))
    with tempfile.TemporaryDirectory() as tmp:
        # 1. fixture -> hemoseg -> transformers
        saved = os.path.join(tmp, "hemoseg-copy")
        node("copy", FIXTURE, saved)
        model, bad = hf_load(saved)
        check("hemoseg-saved fixture loads in transformers", not bad, bad or "no missing/unexpected/mismatched keys")
        out = hf_run(model, io["pixel_values"], io["noise"])
        d = abs(out.loss.item() - io["loss"].item())
        check("same loss as the fixture", d <= TOL, f"{out.loss.item():.7f} vs {io['loss'].item():.7f} (|diff| {d:.2e})")

        # 2. fresh hemoseg model -> transformers, outputs compared on random inputs
        fresh = os.path.join(tmp, "hemoseg-fresh")
        node("fresh", json.dumps({"imageSize": 16, "patchSize": 4, "numChannels": 3}), fresh)
        model, bad = hf_load(fresh)
        check("fresh hemoseg model loads in transformers", not bad, bad or "no missing/unexpected/mismatched keys")
        compare(model, fresh, tmp, "fresh hemoseg model", 3, 16)

        # 3. transformers -> hemoseg, from a random config
        rng = random.Random(11)
        heads = rng.choice([2, 4])
        dheads = rng.choice([1, 2])
        patch = rng.choice([2, 4, 8])
        cfg = ViTMAEConfig(
            hidden_size=16 * heads,
            num_hidden_layers=rng.randint(1, 3),
            num_attention_heads=heads,
            intermediate_size=rng.choice([48, 96]),
            decoder_hidden_size=8 * dheads * 2,
            decoder_num_hidden_layers=rng.randint(1, 2),
            decoder_num_attention_heads=dheads,
            decoder_intermediate_size=40,
            image_size=patch * rng.choice([2, 4]),
            patch_size=patch,
            num_channels=rng.choice([1, 3, 5]),
            layer_norm_eps=1e-6,
            mask_ratio=rng.choice([0.5, 0.75]),
            norm_pix_loss=rng.choice([True, False]),
        )
        print(f"     random config: hidden {cfg.hidden_size}x{cfg.num_hidden_layers}, decoder {cfg.decoder_hidden_size}x"
              f"{cfg.decoder_num_hidden_layers}, patch {patch}, image {cfg.image_size}, channels {cfg.num_channels}, "
              f"mask {cfg.mask_ratio}, norm_pix {cfg.norm_pix_loss}")
        torch.manual_seed(3)
        hf = ViTMAEForPreTraining(cfg)
        with torch.no_grad():  # HF's own init leaves some tensors zero; give every one a value
            for p in hf.parameters():
                p.copy_(torch.randn_like(p) * 0.1)
        hf_dir = os.path.join(tmp, "hf-saved")
        hf.save_pretrained(hf_dir)
        keys = sorted(load_file(os.path.join(hf_dir, "model.safetensors")))
        print(f"     transformers wrote {len(keys)} keys, e.g. {[k for k in keys if 'decoder_' in k and 'layer' in k][:1]}")
        compare(hf.eval(), hf_dir, tmp, "transformers-saved model in hemoseg", cfg.num_channels, cfg.image_size)
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("all checks passed")


def compare(model, model_dir, tmp, what, channels, size):
    """hemoseg runs model_dir on random inputs; its loss, logits and mask must equal transformers'."""
    torch.manual_seed(5)
    num_patches = (size // model.config.patch_size) ** 2
    inputs = {"pixel_values": torch.randn(2, channels, size, size), "noise": torch.rand(2, num_patches)}
    inp, outp = os.path.join(tmp, "in.safetensors"), os.path.join(tmp, "out.safetensors")
    save_file(inputs, inp)
    node("run", model_dir, inp, outp)
    got = load_file(outp)
    ref = hf_run(model, inputs["pixel_values"], inputs["noise"])
    dl = abs(got["loss"].item() - ref.loss.item())
    dz = (got["logits"] - ref.logits).abs().max().item()
    same_mask = torch.equal(got["mask"], ref.mask)
    check(f"{what}: same loss, logits and mask", dl <= TOL and dz <= TOL and same_mask,
          f"loss {got['loss'].item():.7f} vs {ref.loss.item():.7f}, logits max |diff| {dz:.2e}, mask equal {same_mask}")


if __name__ == "__main__":
    main()
