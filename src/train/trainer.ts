// The epoch loop shared by pre-training and fine-tuning: train, validate, log, checkpoint, resume.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { manualSeed, type optim } from "../torch/index.js";
import { applySchedule, type Schedule, warmupCosine } from "../torch/optim/schedule.js";
import { loadLast, type Savable, saveLast, saveModelDir, type TrainerState } from "./checkpoint.js";
import { MetricsLog } from "./metrics-log.js";
import { Progress } from "./progress.js";

export interface StepResult {
  loss: number; // mean loss of the batch
  n: number; // items (images/tiles) in the batch
}

export interface LoopOptions<B> {
  runDir: string;
  label: string;
  model: Savable;
  optimizer: optim.Adam;
  epochs: number;
  seed: number;
  /** Batches of one training epoch, and how many there are. */
  train: { batches: (epoch: number) => AsyncIterable<B>; count: number };
  val?: { batches: (epoch: number) => AsyncIterable<B>; count: number };
  /** Forward, backward and optimiser step on one batch (the loop sets train/eval mode). */
  trainStep: (batch: B, step: number) => StepResult;
  /** Loss on one batch without gradients. */
  evalStep: (batch: B) => StepResult;
  /** Extra validation metrics computed after each epoch (e.g. macro F1). */
  afterEpoch?: (epoch: number) => Promise<Record<string, number>> | Record<string, number>;
  /** Multiplier of each group's base learning rate by optimiser step. */
  schedule?: Schedule;
  resume?: boolean;
  /** Called once per epoch before training (e.g. to unfreeze an encoder after warm-up epochs). */
  beforeEpoch?: (epoch: number) => void;
}

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
  history: Record<string, number>[];
}

async function runEpoch<B>(
  batches: AsyncIterable<B>,
  fn: (b: B) => StepResult,
  progress: Progress,
): Promise<{ loss: number; n: number }> {
  let sum = 0;
  let n = 0;
  for await (const b of batches) {
    const r = fn(b);
    if (!Number.isFinite(r.loss)) throw new Error(`loss is ${r.loss}: training diverged (try a lower --lr)`);
    sum += r.loss * r.n;
    n += r.n;
    progress.tick(1, r.n, `loss ${(sum / n).toFixed(4)}`);
  }
  return { loss: n ? sum / n : Number.NaN, n };
}

export async function trainLoop<B>(o: LoopOptions<B>): Promise<LoopResult> {
  mkdirSync(o.runDir, { recursive: true });
  const log = new MetricsLog(join(o.runDir, "metrics.jsonl"));
  const baseLrs = o.optimizer.groups.map((g) => g.lr); // as configured, before any resumed state
  let state: TrainerState = { epoch: 0, step: 0, bestValLoss: Number.POSITIVE_INFINITY, bestEpoch: -1 };
  if (o.resume) {
    const restored = loadLast(o.runDir, o.model, o.optimizer);
    if (restored) {
      state = restored;
      process.stderr.write(`${o.label}: resuming after epoch ${state.epoch} (step ${state.step})\n`);
    }
  }
  const history: Record<string, number>[] = [];
  for (let epoch = state.epoch; epoch < o.epochs; epoch++) {
    manualSeed(o.seed * 100003 + epoch); // masking noise and dropout repeat on resume
    o.beforeEpoch?.(epoch);
    o.model.train();
    const bar = new Progress({
      total: o.train.count,
      label: `${o.label} epoch ${epoch + 1}/${o.epochs}`,
      unit: "img",
    });
    const t0 = performance.now();
    const tr = await runEpoch(
      o.train.batches(epoch),
      (b) => {
        if (o.schedule) applySchedule(o.optimizer.groups, baseLrs, o.schedule, state.step);
        const r = o.trainStep(b, state.step);
        state.step++;
        return r;
      },
      bar,
    );
    const seconds = (performance.now() - t0) / 1000;
    bar.done();
    const rec: Record<string, number> = {
      epoch: epoch + 1,
      step: state.step,
      train_loss: tr.loss,
      images_per_s: tr.n / seconds,
      lr: o.optimizer.groups[0].lr,
    };
    if (o.val) {
      o.model.eval();
      const vbar = new Progress({ total: o.val.count, label: `${o.label} validate`, unit: "img" });
      const va = await runEpoch(o.val.batches(epoch), o.evalStep, vbar);
      vbar.done();
      rec.val_loss = va.loss;
    }
    Object.assign(rec, await o.afterEpoch?.(epoch));
    state.epoch = epoch + 1;
    const score = rec.val_loss ?? rec.train_loss;
    if (score < state.bestValLoss) {
      state.bestValLoss = score;
      state.bestEpoch = epoch + 1;
      saveModelDir(join(o.runDir, "best"), o.model);
    }
    saveLast(o.runDir, o.model, o.optimizer, state);
    log.append(rec);
    history.push(rec);
    process.stderr.write(
      `${o.label} epoch ${epoch + 1}: ${Object.entries(rec)
        .filter(([k]) => k !== "epoch")
        .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : Number(v).toPrecision(4)}`)
        .join(", ")}\n`,
    );
  }
  return { ...state, history };
}
