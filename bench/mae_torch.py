"""PyTorch side of `hemoseg bench mae --against-pytorch`: Hugging Face's ViTMAEForPreTraining
training step (forward, backward, Adam) with the same config, batch and precision.

Usage: mae_torch.py CONFIG_JSON BATCH STEPS WARMUP DEVICE BF16(0/1) [PROFILE_OPS(0/1)]
Prints one JSON line: {"images_per_s": ..., "step_s": ...}; with PROFILE_OPS, torch.profiler runs
over the timed steps and "op_profile" holds its per-op table (bench/op_profile_torch.py).
"""
import json
import sys
import time

import torch

try:
    from transformers import ViTMAEConfig, ViTMAEForPreTraining
except ImportError:
    sys.exit("the PyTorch side needs transformers: .venv/bin/pip install transformers")


def main():
    cfg_path, batch, steps, warmup, device, bf16 = sys.argv[1:7]
    batch, steps, warmup, bf16 = int(batch), int(steps), int(warmup), bf16 == "1"
    profiling = len(sys.argv) > 7 and sys.argv[7] == "1"
    torch.manual_seed(0)
    cfg = ViTMAEConfig(**json.load(open(cfg_path)))
    model = ViTMAEForPreTraining._from_config(cfg, attn_implementation="sdpa").to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-5, betas=(0.9, 0.95))
    x = torch.randn(batch, cfg.num_channels, cfg.image_size, cfg.image_size, device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    times = []
    prof = None
    for i in range(warmup + steps):
        if profiling and i == warmup:
            from op_profile_torch import OpProfile

            prof = OpProfile()
            prof.start()
        sync()
        t0 = time.perf_counter()
        opt.zero_grad()
        with torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
            loss = model(pixel_values=x).loss
        loss.backward()
        opt.step()
        loss.item()
        sync()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    step = sorted(times)[len(times) // 2]
    out = {"images_per_s": batch / step, "step_s": step, "torch": torch.__version__}
    if prof:
        out["op_profile"] = prof.stop(steps, sum(times))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
