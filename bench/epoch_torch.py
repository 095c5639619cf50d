"""PyTorch side of `hemoseg bench epoch|unetr|unet --against-pytorch`: one training epoch (or one
timed step) in plain PyTorch, as a user would write it, reading the same hemoseg dataset directory.

Usage: epoch_torch.py SPEC_JSON
SPEC: {"variant": "mae-hf"|"mae-plain"|"unetr-hf"|"unetr-plain"|"unet", "mode": "epoch"|"step",
       "config": HF ViT/ViTMAE config, "batch", "threads", "lr", "betas", "seed",
       epoch mode: "data" (dataset dir), "max_steps" (0: whole train split), "tile";
       step mode: "channels", "tile", "steps", "warmup", "profile_ops" (optional: torch.profiler
       over the timed steps, its per-op table in "op_profile"); segmentation: "classes", "feature_size"}
Data: numpy memmaps of images.npy / masks.npy, the train split's tiles in a seeded shuffled order,
random horizontal/vertical flips (image and mask together), per-channel (x - mean) / std.
Optimiser: torch.optim.Adam(fused=True). The loss is read (.item()) every step, as usual.
Prints one JSON line: {"images_per_s", "seconds", "images", "steps", "torch", "variant"}.
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models as tm  # noqa: E402


def build(spec):
    v, c = spec["variant"], spec["config"]
    if v == "mae-hf":
        from transformers import ViTMAEConfig, ViTMAEForPreTraining

        m = ViTMAEForPreTraining._from_config(ViTMAEConfig(**c), attn_implementation="sdpa")
        return m, lambda x, y: m(pixel_values=x).loss
    if v == "mae-plain":
        m = tm.MaeViT(c)
        return m, lambda x, y: m(x)
    if v in ("unetr-hf", "unetr-plain"):
        m = tm.UNETR2d(c, spec["classes"], spec["feature_size"], "hf" if v == "unetr-hf" else "plain")
    elif v == "unet":
        m = tm.BasicUNet2d(c["num_channels"], spec["classes"])
    else:
        sys.exit(f"unknown variant {v}")
    return m, lambda x, y: F.cross_entropy(m(x), y, ignore_index=255)


class Tiles:
    """The train split's T x T tiles, read from memmaps, flipped and normalised per batch."""

    def __init__(self, data, tile, with_masks):
        meta = json.load(open(os.path.join(data, "dataset.json")))
        self.images = np.load(os.path.join(data, "images.npy"), mmap_mode="r")
        self.masks = np.load(os.path.join(data, "masks.npy"), mmap_mode="r") if with_masks else None
        h, w = meta["height"], meta["width"]
        self.t, self.rows, self.cols = tile, h // tile, w // tile
        self.stacks = meta["split"]["train"]
        self.n = len(self.stacks) * self.rows * self.cols
        std = np.asarray(meta["stats"]["std"], np.float32)
        self.mean = np.asarray(meta["stats"]["mean"], np.float32)[:, None, None]
        self.scale = np.where(std > 0, 1 / np.where(std > 0, std, 1), 1).astype(np.float32)[:, None, None]

    def batches(self, batch, epoch, seed, max_steps):
        rng = np.random.default_rng(seed * 1000 + epoch)
        order = rng.permutation(self.n)
        flips = rng.random((self.n, 2)) < 0.5
        per = self.rows * self.cols
        t = self.t
        nb = (self.n + batch - 1) // batch
        if max_steps:
            nb = min(nb, max_steps)
        for b in range(nb):
            idx = order[b * batch : (b + 1) * batch]
            x = np.empty((len(idx), self.images.shape[1], t, t), np.float32)
            y = np.empty((len(idx), t, t), np.int64) if self.masks is not None else None
            for i, k in enumerate(idx):
                s, r, c = self.stacks[k // per], (k % per) // self.cols, k % self.cols
                img = self.images[s, :, r * t : (r + 1) * t, c * t : (c + 1) * t]
                msk = self.masks[s, r * t : (r + 1) * t, c * t : (c + 1) * t] if y is not None else None
                if flips[k, 0]:
                    img = img[..., ::-1]
                    msk = msk[..., ::-1] if y is not None else None
                if flips[k, 1]:
                    img = img[..., ::-1, :]
                    msk = msk[..., ::-1, :] if y is not None else None
                np.subtract(img, self.mean, out=x[i])
                if y is not None:
                    y[i] = msk
            x *= self.scale
            yield torch.from_numpy(x), (torch.from_numpy(y) if y is not None else None)


def main():
    spec = json.load(open(sys.argv[1]))
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(spec["seed"])
    model, loss_of = build(spec)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=spec["lr"], betas=tuple(spec["betas"]), fused=True)
    seg = spec["variant"] != "mae-hf" and spec["variant"] != "mae-plain"

    def step(x, y):
        opt.zero_grad()
        loss = loss_of(x, y)
        loss.backward()
        opt.step()
        return loss.item()

    if spec["mode"] == "step":
        b, ch, t = spec["batch"], spec["channels"], spec["tile"]
        x = torch.randn(b, ch, t, t)
        y = torch.randint(0, spec["classes"], (b, t, t)) if seg else None
        times = []
        prof = None
        for i in range(spec["warmup"] + spec["steps"]):
            if spec.get("profile_ops") and i == spec["warmup"]:
                from op_profile_torch import OpProfile

                prof = OpProfile()
                prof.start()
            t0 = time.perf_counter()
            step(x, y)
            if i >= spec["warmup"]:
                times.append(time.perf_counter() - t0)
        s = sorted(times)[len(times) // 2]
        out = {"images_per_s": b / s, "step_s": s}
        if prof:
            out["op_profile"] = prof.stop(spec["steps"], sum(times))
    else:
        tiles = Tiles(spec["data"], spec["tile"], seg)
        images = steps = 0
        t0 = time.perf_counter()
        for x, y in tiles.batches(spec["batch"], 0, spec["seed"], spec["max_steps"]):
            step(x, y)
            images += x.shape[0]
            steps += 1
        secs = time.perf_counter() - t0
        out = {"images_per_s": images / secs, "seconds": secs, "images": images, "steps": steps}
    out.update(torch=torch.__version__, variant=spec["variant"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
