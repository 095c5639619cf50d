// A worker process for the distributed tests, started by them with torchrun's environment and
// HEMOSEG_TEST_WORKER=<mode>; it does nothing otherwise (the test runner also loads it).
import { writeFileSync } from "node:fs";
import { distEnv, ProcessGroup } from "../src/torch/distributed.js";
import { setNumThreads, tensor } from "../src/torch/index.js";

const mode = process.env.HEMOSEG_TEST_WORKER;
const out = process.env.HEMOSEG_TEST_OUT ?? "";

async function collectives(): Promise<void> {
  const env = distEnv()!;
  const pg = await ProcessGroup.init(env, { timeoutMs: 600_000 });
  const r = env.rank;
  const res: Record<string, number[]> = {};
  // One call, several dtypes and shapes: they land in separate buckets and come back in place.
  const f32 = tensor(Float32Array.from([1.5 + r, -2, 0.25 * r, 8]), [2, 2]);
  const f64 = tensor(Float64Array.from([1e-12 * (r + 1), 3 + r]));
  const i64 = tensor(BigInt64Array.from([2n ** 40n + BigInt(r), -BigInt(r)]));
  const i32 = tensor(Int32Array.from([7 * r, 1]));
  const u8 = tensor(Uint8Array.from([100 + r, 3]));
  const f16 = tensor([0.5 + r, 2], [2], "float16");
  await pg.allReduce([f32, f64, i64, i32, u8, f16], "sum");
  Object.assign(res, {
    sum_f32: f32.toArray(),
    sum_f64: f64.toArray(),
    sum_i64: ((v) => [Number(v[0] - 2n ** 41n), Number(v[1])])(i64.toTypedArray() as BigInt64Array),
    sum_i32: i32.toArray(),
    sum_u8: u8.toArray(),
    sum_f16: Array.from(f16.toFloat32Array()),
  });
  // Averages; a tiny bucket forces one tensor per bucket.
  const a = tensor(Float32Array.from([r, 10 * r, 1]));
  const b = tensor(Float64Array.from([4 * r]));
  await pg.allReduce([a, b], "avg", 8);
  res.avg_f32 = a.toArray();
  res.avg_f64 = b.toArray();
  // Broadcast from the last rank, a non-contiguous tensor included.
  const c = tensor(Float32Array.from([r, r, r, r, r, r]), [2, 3]);
  const ct = c.transpose(0, 1);
  const d = tensor(Int32Array.from([r * 3 + 1]));
  await pg.broadcast([ct, d], env.worldSize - 1);
  res.bcast_f32 = c.toArray();
  res.bcast_i32 = d.toArray();
  await pg.barrier();
  // Gradients averaged during backward: several buckets (8 bytes each), a parameter frozen at
  // attach time that has a gradient later (no hook: finish takes its .grad), one that never has.
  const w1 = tensor(Float32Array.from([1, 2, 3])).requiresGrad_();
  const w2 = tensor(Float32Array.from([1, -1, 0.5, 2]), [2, 2]).requiresGrad_();
  const w3 = tensor(Float32Array.from([5]));
  const w4 = tensor(Float32Array.from([7, 7]));
  const red = pg.gradientReducer([w3, w4, w1, w2], 8); // w2 and w1 start during backward
  w4.requiresGrad_();
  for (let step = 0; step < 2; step++) {
    for (const w of [w1, w2, w4]) w.grad?.zero_();
    // d/dw1 = (r + 1)(step + 1), d/dw2 = 2 w2 (r + 1), d/dw4 = r
    w1.mul(tensor(Float32Array.from([(r + 1) * (step + 1)])))
      .sum()
      .add(
        w2
          .mul(w2)
          .sum()
          .mul(tensor(Float32Array.from([r + 1]))),
      )
      .add(w4.sum().mul(tensor(Float32Array.from([r]))))
      .backward();
    const { overlapped, buckets } = await red.finish();
    res.red_buckets = [overlapped, buckets];
  }
  red.detach();
  res.red_w1 = w1.grad!.toArray();
  res.red_w2 = w2.grad!.toArray();
  res.red_w3 = w3.grad === null ? [] : w3.grad.toArray();
  res.red_w4 = w4.grad!.toArray();
  let refused = "";
  try {
    await pg.allReduce([tensor(Int32Array.from([1]))], "avg");
  } catch (e) {
    refused = (e as Error).message;
  }
  await pg.destroy();
  writeFileSync(`${out}.${r}`, JSON.stringify({ ...res, refused }));
}

// Rank 1 is killed mid-run; rank 0 keeps all-reducing and must fail naming it.
async function die(): Promise<void> {
  const env = distEnv()!;
  const pg = await ProcessGroup.init(env, { timeoutMs: Number(process.env.HEMOSEG_DIST_TIMEOUT_S) * 1000 });
  const t = tensor([1, 2, 3]);
  await pg.allReduce([t]);
  if (env.rank === 1) process.kill(process.pid, "SIGKILL");
  try {
    for (let i = 0; i < 1000; i++) await pg.allReduce([t]);
    writeFileSync(`${out}.${env.rank}`, "no error");
  } catch (e) {
    writeFileSync(`${out}.${env.rank}`, (e as Error).message);
    process.exit(1);
  }
}

// Rank 1 fails at once; rank 0 would wait in a barrier until the launcher stops it.
async function fail(): Promise<void> {
  const env = distEnv()!;
  const pg = await ProcessGroup.init(env, { timeoutMs: 600_000 });
  if (env.rank === 1) process.exit(3);
  await pg.barrier();
}

// A stopped run exits as the CLI does: its message in HEMOSEG_TEST_OUT.<rank>, 130 or 143.
async function pretrainRank(): Promise<void> {
  setNumThreads(1);
  const { pretrain } = await import("../src/train/pretrain.js");
  const { Interrupted } = await import("../src/train/interrupt.js");
  try {
    await pretrain(JSON.parse(process.env.HEMOSEG_TEST_OPTIONS!));
  } catch (e) {
    if (!(e instanceof Interrupted)) throw e;
    writeFileSync(`${out}.${process.env.RANK}`, e.message);
    process.exit(e.exitCode);
  }
}

async function finetuneRank(): Promise<void> {
  setNumThreads(1);
  const { finetune } = await import("../src/train/finetune.js");
  await finetune(JSON.parse(process.env.HEMOSEG_TEST_OPTIONS!));
}

const modes: Record<string, () => Promise<void>> = {
  collectives,
  die,
  fail,
  pretrain: pretrainRank,
  finetune: finetuneRank,
};
if (mode) {
  const run = modes[mode];
  if (!run) throw new Error(`dist-worker: unknown mode ${mode}`);
  await run();
}
