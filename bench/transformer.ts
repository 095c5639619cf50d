// Benchmark: one pre-norm transformer encoder training step (forward, backward, Adam) written
// with hemoseg's nn, beside the same step in Python PyTorch on the same machine, in one run.
// Usage: node dist/bench/transformer.js [--steps N] [--seq 64,256]
import { execFileSync } from "node:child_process";
import { pythonWithTorch } from "../src/pipeline/bench-mae.js";
import {
  F,
  getNumThreads,
  keep,
  manualSeed,
  nativeInfo,
  nn,
  optim,
  randn,
  scope,
  type Tensor,
} from "../src/torch/index.js";

class Block extends nn.Module {
  ln1: nn.LayerNorm;
  q: nn.Linear;
  k: nn.Linear;
  v: nn.Linear;
  o: nn.Linear;
  ln2: nn.LayerNorm;
  fc1: nn.Linear;
  fc2: nn.Linear;
  constructor(
    d: number,
    readonly heads: number,
    mlp: number,
  ) {
    super();
    this.ln1 = this.module("ln1", new nn.LayerNorm(d, 1e-6));
    this.q = this.module("q", new nn.Linear(d, d));
    this.k = this.module("k", new nn.Linear(d, d));
    this.v = this.module("v", new nn.Linear(d, d));
    this.o = this.module("o", new nn.Linear(d, d));
    this.ln2 = this.module("ln2", new nn.LayerNorm(d, 1e-6));
    this.fc1 = this.module("fc1", new nn.Linear(d, mlp));
    this.fc2 = this.module("fc2", new nn.Linear(mlp, d));
  }
  forward(x: Tensor): Tensor {
    return scope(() => {
      const [b, t, d] = x.shape;
      const h = this.ln1.forward(x);
      const split = (y: Tensor) => y.view(b, t, this.heads, d / this.heads).transpose(1, 2); // (B, H, T, Dh)
      const a = F.scaledDotProductAttention(
        split(this.q.forward(h)),
        split(this.k.forward(h)),
        split(this.v.forward(h)),
      );
      const x1 = x.add(this.o.forward(a.transpose(1, 2).reshape(b, t, d)));
      return x1.add(this.fc2.forward(F.gelu(this.fc1.forward(this.ln2.forward(x1)))));
    });
  }
}

/** Training FLOPs of one step: forward matmuls and attention, times 3 for backward. */
function stepFlops(b: number, t: number, d: number, mlp: number, layers: number): number {
  const perLayer = 2 * b * t * (4 * d * d + 2 * d * mlp) + 4 * b * t * t * d;
  return 3 * layers * perLayer;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function hemosegStep(
  b: number,
  t: number,
  d: number,
  heads: number,
  mlp: number,
  layers: number,
  steps: number,
  warmup: number,
): number {
  manualSeed(0);
  const model = new nn.Sequential(Array.from({ length: layers }, () => new Block(d, heads, mlp)));
  const opt = new optim.Adam(model.parameters(), { lr: 1e-4, betas: [0.9, 0.95] });
  const x = keep(randn([b, t, d]));
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    scope(() => {
      opt.zeroGrad();
      const loss = model.forward(x).square().mean();
      loss.backward();
      opt.step();
      loss.item();
    });
    if (i >= warmup) times.push((performance.now() - t0) / 1000);
  }
  opt.dispose();
  model.dispose();
  x.dispose();
  return median(times);
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const steps = Number(opt("--steps", "10"));
  const warmup = 3;
  const [b, d, heads, mlp, layers] = [16, 192, 6, 768, 6];
  const py = pythonWithTorch();
  console.log(
    `libtorch ${nativeInfo.version} (${nativeInfo.libtorch}), ${getNumThreads()} threads; B=${b} D=${d} heads=${heads} MLP=${mlp} layers=${layers}`,
  );
  const rows: Record<string, unknown>[] = [];
  for (const t of opt("--seq", "64,256").split(",").map(Number)) {
    const flops = stepFlops(b, t, d, mlp, layers);
    const ours = hemosegStep(b, t, d, heads, mlp, layers, steps, warmup);
    const out = execFileSync(
      py,
      [
        new URL("../../bench/transformer_torch.py", import.meta.url).pathname,
        ...[b, t, d, heads, mlp, layers, steps, warmup].map(String),
      ],
      { encoding: "utf8" },
    );
    const theirs = JSON.parse(out.trim().split("\n").pop()!).step_s as number;
    const row = {
      T: t,
      hemoseg_gflops: +(flops / ours / 1e9).toFixed(1),
      pytorch_gflops: +(flops / theirs / 1e9).toFixed(1),
      ratio: +(theirs / ours).toFixed(3),
      hemoseg_ms: +(ours * 1000).toFixed(1),
      pytorch_ms: +(theirs * 1000).toFixed(1),
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}

main();
