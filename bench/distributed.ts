// Benchmark: data parallel pre-training on one machine. Pre-training throughput of 1 process x T
// threads against P processes x T/P threads (c10d Gloo on 127.0.0.1, the same global batch), the
// time of the per-step gradient all-reduce (alone, and what a step waits for it inside the runs,
// with the all-reduces overlapping backward and started after it), and the scaling efficiency
// (P-process throughput / 1-process throughput). Runs alternate (A, B, A, B, ...) because the
// machine is shared, and the medians are reported.
// Usage: node dist/bench/distributed.js [--procs 2] [--threads 2] [--reps 3] [--steps 12]
//        [--batch 32] [--model model2] [--patch 8] [--tile 64]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { synthDatasets } from "../src/data/synth-datasets.js";
import { type PresetName, presetConfig } from "../src/models/presets.js";
import { ViTMAEForPreTraining } from "../src/models/vitmae.js";
import { distEnv, ProcessGroup } from "../src/torch/distributed.js";
import { setNumThreads, zerosLike } from "../src/torch/index.js";
import { launchLocal } from "../src/torch/launch.js";
import { readMetrics } from "../src/train/metrics-log.js";
import { PhaseTimer } from "../src/train/phases.js";
import { PRETRAIN_DEFAULTS, type PretrainOptions, pretrain } from "../src/train/pretrain.js";

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---- worker modes (started by the coordinator below) ---------------------------------------------

/** One rank of a training run; rank 0 writes the training loop's phase times (all-reduce included). */
async function trainWorker(): Promise<void> {
  setNumThreads(Number(process.env.BENCH_THREADS));
  const phases = new PhaseTimer();
  await pretrain({ ...(JSON.parse(process.env.BENCH_OPTS!) as PretrainOptions), phases });
  if ((distEnv()?.rank ?? 0) === 0) writeFileSync(process.env.BENCH_OUT!, JSON.stringify(phases.report()));
}

/** All-reduces (avg) gradient-shaped tensors of the model, as a training step does; rank 0 writes ms per call. */
async function allReduceWorker(): Promise<void> {
  setNumThreads(Number(process.env.BENCH_THREADS));
  const o = JSON.parse(process.env.BENCH_OPTS!) as PretrainOptions;
  const env = distEnv()!;
  const pg = await ProcessGroup.init(env, { timeoutMs: 120_000 });
  const model = new ViTMAEForPreTraining(
    presetConfig(o.model, { patchSize: o.patch, imageSize: o.tile, numChannels: 4 }),
  );
  const grads = model.parameters().map((p) => zerosLike(p));
  for (let i = 0; i < 3; i++) await pg.allReduce(grads, "avg");
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await pg.allReduce(grads, "avg");
    times.push(performance.now() - t0);
  }
  const bytes = grads.reduce((s, g) => s + g.numel * 4, 0);
  if (env.rank === 0) writeFileSync(process.env.BENCH_OUT!, JSON.stringify({ ms: median(times), bytes }));
  for (const g of grads) g.dispose();
  model.dispose();
  await pg.destroy();
}

// ---- coordinator ---------------------------------------------------------------------------------

async function main(): Promise<void> {
  const procs = Number(opt("procs", "2"));
  const threads = Number(opt("threads", "2"));
  const reps = Number(opt("reps", "3"));
  const steps = Number(opt("steps", "12"));
  const batch = Number(opt("batch", "32"));
  const tile = Number(opt("tile", "64"));
  const root = mkdtempSync(join(tmpdir(), "hemoseg-bench-dist-"));
  const self = fileURLToPath(import.meta.url);
  try {
    const data = synthDatasets({
      out: join(root, "data"),
      stacks: 24,
      tiles: 8,
      channels: 4,
      size: 256,
      tile,
      seed: 1,
    });
    const options = (out: string): PretrainOptions => ({
      ...PRETRAIN_DEFAULTS,
      data: data.pretrain.dir,
      out,
      model: opt("model", "model2") as PresetName,
      patch: Number(opt("patch", "8")),
      tile,
      batchTiles: batch,
      epochs: 2, // the first epoch warms up; the second is measured
      maxSteps: steps,
    });
    // What the step waits for the gradients after backward (both epochs; it includes waiting for
    // the slower rank): with the all-reduces overlapping backward (the default) and without.
    const wait: Record<string, number[]> = { overlap: [], after: [] };
    let runs = 0;
    const run = async (nproc: number, k: number, overlap = true): Promise<number> => {
      const tag = `${nproc}-${overlap ? "overlap" : "after"}-${k}-${runs++}`;
      const out = join(root, `run-${tag}`);
      const phasesOut = join(root, `phases-${tag}.json`);
      const r = await launchLocal({
        nproc,
        command: process.execPath,
        args: [self],
        env: {
          BENCH_MODE: "train",
          BENCH_OPTS: JSON.stringify(options(out)),
          BENCH_THREADS: String(Math.max(1, threads / nproc)),
          BENCH_OUT: phasesOut,
          HEMOSEG_DIST_OVERLAP: overlap ? "1" : "0",
        },
      });
      if (r.code !== 0) throw new Error(`${nproc}-process run failed (${r.codes})`);
      const ph = JSON.parse(readFileSync(phasesOut, "utf8"))["all-reduce"];
      if (ph) wait[overlap ? "overlap" : "after"].push((ph.s * 1000) / ph.calls);
      const m = readMetrics(join(out, "metrics.jsonl"));
      return m[m.length - 1].images_per_s as number;
    };
    const single: number[] = [];
    const multi: number[] = [];
    const multiAfter: number[] = [];
    for (let k = 0; k < reps; k++) {
      single.push(await run(1, k));
      multi.push(await run(procs, k));
      multiAfter.push(await run(procs, k, false));
      process.stderr.write(
        `rep ${k + 1}: 1x${threads} ${single[k].toFixed(1)} img/s, ${procs}x${threads / procs} ${multi[k].toFixed(1)} img/s ` +
          `(all-reduce after backward: ${multiAfter[k].toFixed(1)} img/s)\n`,
      );
    }
    const arOut = join(root, "allreduce.json");
    const ar = await launchLocal({
      nproc: procs,
      command: process.execPath,
      args: [self],
      env: {
        BENCH_MODE: "allreduce",
        BENCH_OPTS: JSON.stringify(options(root)),
        BENCH_THREADS: String(Math.max(1, threads / procs)),
        BENCH_OUT: arOut,
      },
    });
    if (ar.code !== 0) throw new Error("all-reduce run failed");
    const { ms, bytes } = JSON.parse(readFileSync(arOut, "utf8"));
    const [s1, sP] = [median(single), median(multi)];
    const stepMs = (batch / sP) * 1000;
    console.log(
      JSON.stringify(
        {
          config: {
            procs,
            threads,
            model: opt("model", "model2"),
            patch: Number(opt("patch", "8")),
            tile,
            batch,
            steps,
            reps,
          },
          single_images_per_s: single,
          multi_images_per_s: multi,
          multi_after_backward_images_per_s: multiAfter,
          median_single: s1,
          median_multi: sP,
          median_multi_after_backward: median(multiAfter),
          scaling_efficiency: sP / s1,
          scaling_efficiency_after_backward: median(multiAfter) / s1,
          allreduce_ms_per_step: ms,
          gradient_wait_ms_per_step_overlap: median(wait.overlap),
          gradient_wait_ms_per_step_after_backward: median(wait.after),
          allreduce_mib: bytes / 2 ** 20,
          allreduce_share_of_step: ms / stepMs,
        },
        null,
        2,
      ),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const mode = process.env.BENCH_MODE;
if (mode === "train") await trainWorker();
else if (mode === "allreduce") await allReduceWorker();
else await main();
