// The one training loop of pre-training and fine-tuning: epochs of optimiser steps, validation,
// metrics.jsonl, best/ and last/ checkpoints, resume. What differs between the two (the loss of a
// batch, the validation metrics, which epoch is best) is passed in. Ctrl-C or SIGTERM stops it
// between steps with the last good checkpoint kept (see interrupt.ts).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { resolveDir } from "../io/atomic.js";
import type { GradientReducer } from "../torch/distributed.js";
import { manualSeed, optim, scope, type Tensor } from "../torch/index.js";
import { applySchedule, type Schedule, warmupCosine } from "../torch/optim/schedule.js";
import { loadLast, type Savable, saveLast, saveModelDir, type TrainerState } from "./checkpoint.js";
import type { DataParallel } from "./data-parallel.js";
import { Interrupted, type StopWatch, watchStopSignals, yieldToEvents } from "./interrupt.js";
import { MetricsLog } from "./metrics-log.js";
import { type PhaseTimer, timedBatches } from "./phases.js";
import { Progress } from "./progress.js";

export interface StepResult {
  loss: number; // mean loss of the batch
  n: number; // items (images/tiles) in the batch
}

/** What the loop needs to know about a batch. */
export interface BatchTask<B> {
  /** Mean loss of the batch, its graph kept for backward (the loop zeroes, backpropagates and steps). */
  loss(batch: B): Tensor;
  /** Items (tiles) in the batch. */
  size(batch: B): number;
  /** Frees the batch once its step is done. */
  release(batch: B): void;
  /** Data parallel only: runs (and may communicate) before the batch's loss. */
  prepare?(batch: B): Promise<void>;
}

/** Metrics of one epoch, as metrics.jsonl records them (plus `lrs`, every group's rate by name). */
export type EpochMetrics = Record<string, number>;

export interface LoopOptions<B> {
  runDir: string;
  label: string;
  model: Savable;
  optimizer: optim.Adam;
  epochs: number;
  seed: number;
  /** Batches of one training epoch, and how many there are. */
  train: { batches: (epoch: number) => AsyncIterable<B>; count: number };
  task: BatchTask<B>;
  /** Validation metrics after each epoch, the model in eval mode (val_loss, val_macro_f1, ...). */
  validate: (epoch: number) => Promise<EpochMetrics>;
  /** Checkpoint policy: best/ holds the epoch whose metrics score lowest; last/ every epoch. */
  score: (metrics: EpochMetrics) => number;
  /** Multiplier of each group's base learning rate by optimiser step. */
  schedule?: Schedule;
  resume?: boolean;
  /** Maximum global L2 norm of each step's gradients (0 or unset: no clipping). */
  clipGrad?: number;
  /** Called once per epoch before training (e.g. to unfreeze an encoder after warm-up epochs). */
  beforeEpoch?: (epoch: number) => void;
  /** When given, each phase's wall time is added to it (data, forward, backward, optimizer, ...). */
  phases?: PhaseTimer;
  /**
   * Whether a stop was asked for (checked before every training step and epoch); default: this
   * process's SIGINT/SIGTERM. With dp the ranks agree on it at every step, so all stop together.
   */
  stopRequested?: () => NodeJS.Signals | null;
  /**
   * Data parallel: the model starts from rank 0's weights, gradients are averaged over the ranks
   * before each optimiser step, training losses are reduced, and only rank 0 logs and writes
   * checkpoints. validate runs on every rank and reduces (or leaves to rank 0) its metrics itself.
   */
  dp?: DataParallel;
}

/** Where ranks other than 0 send their progress: nowhere. */
export const SILENT = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;

/**
 * Linear warm-up over warmupEpochs, then cosine decay to 0 (cosine) or a constant rate; none
 * (the paper's constant rate) when neither is asked for. stepsPerEpoch converts epochs to steps.
 */
export function epochSchedule(
  o: { warmupEpochs: number; cosine: boolean; epochs: number },
  stepsPerEpoch: number,
): Schedule | undefined {
  if (!o.cosine && o.warmupEpochs <= 0) return undefined;
  return warmupCosine(o.warmupEpochs * stepsPerEpoch, o.epochs * stepsPerEpoch, o.cosine ? 0 : 1);
}

export interface LoopResult extends TrainerState {
  history: EpochMetrics[];
}

/**
 * Mean of per-batch losses weighted by batch size over a stream of batches; with `progress`, ticks
 * it per batch; with `diverged`, a non-finite loss stops the run with that advice.
 */
export async function meanLoss<B>(
  batches: AsyncIterable<B>,
  fn: (b: B) => StepResult | Promise<StepResult>,
  o: { progress?: Progress; diverged?: string } = {},
): Promise<{ loss: number; n: number }> {
  let sum = 0;
  let n = 0;
  for await (const b of batches) {
    const r = await fn(b);
    if (o.diverged && !Number.isFinite(r.loss)) throw new Error(`loss is ${r.loss}: ${o.diverged}`);
    sum += r.loss * r.n;
    n += r.n;
    o.progress?.tick(1, r.n, `loss ${(sum / n).toFixed(4)}`);
  }
  return { loss: n ? sum / n : Number.NaN, n };
}

/** One optimiser step on a batch: zero the gradients, loss, backward, step; frees the batch. */
export function optimiserStep<B>(
  opt: optim.Adam,
  task: BatchTask<B>,
  batch: B,
  clipGrad = 0,
  ph?: PhaseTimer,
): StepResult {
  const t = <T>(name: string, fn: () => T): T => (ph ? ph.time(name, fn) : fn());
  return scope(() => {
    t("optimizer", () => opt.zeroGrad());
    const loss = t("forward", () => task.loss(batch));
    t("backward", () => loss.backward());
    // The gradients of this batch are ready here, before the optimiser uses them.
    t("optimizer", () => {
      if (clipGrad > 0) optim.clipGradNorm(opt.params, clipGrad);
      opt.step();
    });
    const r = { loss: t("loss read-back", () => loss.item()), n: task.size(batch) };
    task.release(batch);
    return r;
  });
}

/**
 * The data parallel step: as optimiserStep, with the gradients averaged over the ranks between
 * backward and the optimiser (clipping sees the averaged gradients, as in one process); most of
 * the all-reduce has run during backward (GradientReducer), finish() waits for the rest.
 */
async function dataParallelStep<B>(
  opt: optim.Adam,
  task: BatchTask<B>,
  batch: B,
  grads: GradientReducer,
  clipGrad = 0,
  ph?: PhaseTimer,
  syncStop?: () => Promise<void>,
): Promise<StepResult> {
  const t = <T>(name: string, fn: () => T): T => (ph ? ph.time(name, fn) : fn());
  await syncStop?.();
  await task.prepare?.(batch);
  const r = scope(() => {
    t("optimizer", () => opt.zeroGrad());
    const loss = t("forward", () => task.loss(batch));
    t("backward", () => loss.backward());
    const r = { loss: t("loss read-back", () => loss.item()), n: task.size(batch) };
    task.release(batch);
    return r;
  });
  const ta = performance.now();
  await grads.finish(); // what backward has not overlapped
  ph?.add("all-reduce", performance.now() - ta);
  t("optimizer", () =>
    scope(() => {
      if (clipGrad > 0) optim.clipGradNorm(opt.params, clipGrad);
      opt.step();
    }),
  );
  return r;
}

/**
 * Trains o.epochs epochs (from the last checkpoint with o.resume). A stop request (Ctrl-C, SIGTERM)
 * abandons the epoch in progress before its next step and throws Interrupted naming last/.
 */
export async function trainLoop<B>(o: LoopOptions<B>): Promise<LoopResult> {
  let watch: StopWatch | undefined;
  if (!o.stopRequested)
    watch = watchStopSignals((s) =>
      process.stderr.write(`\n${s}: stopping before the next step (again to stop at once)\n`),
    );
  const local = o.stopRequested ?? (() => watch!.requested);
  try {
    return await loop(o, o.dp ? stopAgreement(o.dp, local) : { requested: local });
  } finally {
    watch?.dispose();
  }
}

/** Stop requests as the loop sees them; sync (data parallel, once per step) makes the ranks agree. */
interface StopRequests {
  requested: () => NodeJS.Signals | null;
  sync?: () => Promise<void>;
}

/**
 * Data parallel: a signal that reached any rank stops every rank before the same step. Each step
 * sums the ranks' requests (one small all-reduce); until then the loop sees none.
 */
function stopAgreement(dp: DataParallel, local: () => NodeJS.Signals | null): StopRequests {
  let agreed: NodeJS.Signals | null = null;
  return {
    requested: () => agreed,
    sync: async () => {
      const s = local();
      const [int, term] = await dp.pg.allReduceNumbers([s === "SIGINT" ? 1 : 0, s && s !== "SIGINT" ? 1 : 0]);
      agreed = int > 0 ? "SIGINT" : term > 0 ? "SIGTERM" : null;
    },
  };
}

/** Yields the batches, letting signal handlers run before each and calling check() after. */
async function* stoppable<B>(batches: AsyncIterable<B>, check: () => void, release: (b: B) => void) {
  for await (const b of batches) {
    await yieldToEvents();
    try {
      check();
    } catch (e) {
      release(b);
      throw e;
    }
    yield b;
  }
}

async function loop<B>(o: LoopOptions<B>, stop: StopRequests): Promise<LoopResult> {
  const dp = o.dp;
  const main = !dp || dp.rank === 0;
  const stream = main ? process.stderr : SILENT;
  if (main) mkdirSync(o.runDir, { recursive: true });
  const log = new MetricsLog(join(o.runDir, "metrics.jsonl"));
  const groups = o.optimizer.groups;
  const baseLrs = groups.map((g) => g.lr); // as configured, before any resumed state
  let state: TrainerState = { epoch: 0, step: 0, bestValLoss: Number.POSITIVE_INFINITY, bestEpoch: -1 };
  if (o.resume) {
    const restored = loadLast(o.runDir, o.model, o.optimizer);
    if (restored) {
      state = restored;
      stream.write(`${o.label}: resuming after epoch ${state.epoch} (step ${state.step})\n`);
    }
  }
  if (dp) {
    // Every rank read the checkpoint (a shared run directory); check they agree, then start
    // from rank 0's weights.
    const [e, s] = await dp.pg.allReduceNumbers([state.epoch, state.step]);
    if (e !== state.epoch * dp.worldSize || s !== state.step * dp.worldSize)
      throw new Error(
        `rank ${dp.rank} resumes from epoch ${state.epoch} but other ranks do not: ${o.runDir} must be ` +
          "the same directory on every rank (a shared file system)",
      );
    await dp.broadcastModule(o.model);
  }
  const history: EpochMetrics[] = [];
  // Data parallel: gradients averaged over the ranks, their all-reduces overlapping backward.
  const grads = dp?.gradientAverager(o.optimizer.params);
  try {
    // The epoch in progress is abandoned; last/ keeps the last finished one.
    const checkStop = () => {
      const signal = stop.requested();
      if (signal) throw new Interrupted(signal, o.runDir, resolveDir(join(o.runDir, "last")), state.epoch);
    };
    for (let epoch = state.epoch; epoch < o.epochs; epoch++) {
      await yieldToEvents();
      checkStop();
      manualSeed(o.seed * 100003 + epoch); // masking noise and dropout repeat on resume
      o.beforeEpoch?.(epoch);
      o.model.train();
      const bar = new Progress({
        total: o.train.count,
        label: `${o.label} epoch ${epoch + 1}/${o.epochs}`,
        unit: "img",
        stream,
      });
      const t0 = performance.now();
      const batches = o.phases ? timedBatches(o.train.batches(epoch), o.phases) : o.train.batches(epoch);
      let tr = await meanLoss(
        stoppable(batches, checkStop, (b) => o.task.release(b)),
        async (b) => {
          if (o.schedule) applySchedule(groups, baseLrs, o.schedule, state.step);
          const t1 = performance.now();
          const r = dp
            ? await dataParallelStep(o.optimizer, o.task, b, grads!, o.clipGrad, o.phases, stop.sync)
            : optimiserStep(o.optimizer, o.task, b, o.clipGrad, o.phases);
          o.phases?.add("step (all)", performance.now() - t1);
          state.step++;
          return r;
        },
        { progress: bar, diverged: "training diverged (try a lower --lr)" },
      );
      if (dp) tr = await dp.weightedMean(tr.loss, tr.n);
      const seconds = (performance.now() - t0) / 1000;
      o.phases?.add("train epoch (all)", seconds * 1000);
      bar.done();
      const rec: EpochMetrics = {
        epoch: epoch + 1,
        step: state.step,
        train_loss: tr.loss,
        images_per_s: tr.n / seconds,
        lr: groups[0].lr,
      };
      const lrs = Object.fromEntries(groups.map((g, i) => [g.name ?? `group${i}`, g.lr]));
      o.model.eval();
      const tv = performance.now();
      Object.assign(rec, await o.validate(epoch));
      o.phases?.add("validation", performance.now() - tv);
      const tc = performance.now();
      state.epoch = epoch + 1;
      const score = o.score(rec);
      if (score < state.bestValLoss) {
        state.bestValLoss = score;
        state.bestEpoch = epoch + 1;
        if (main) saveModelDir(join(o.runDir, "best"), o.model);
      }
      history.push(rec);
      if (!main) continue;
      saveLast(o.runDir, o.model, o.optimizer, state);
      o.phases?.add("checkpoints", performance.now() - tc);
      log.append({ ...rec, lrs });
      process.stderr.write(
        `${o.label} epoch ${epoch + 1}: ${Object.entries(rec)
          .filter(([k]) => k !== "epoch")
          .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : Number(v).toPrecision(4)}`)
          .join(", ")}\n`,
      );
    }
  } finally {
    grads?.detach();
  }
  return { ...state, history };
}
