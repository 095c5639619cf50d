// Run directories: last/ (model + optimiser + trainer state, for --resume) and best/ (the model
// with the lowest validation loss), each replaced atomically so a killed run keeps the last good one.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { resolveDir, writeDirAtomic } from "../io/atomic.js";
import { jsonFile } from "../io/json.js";
import { loadSafetensors, readSafetensorsHeader, saveSafetensors } from "../io/safetensors.js";
import { dispose, type nn, type optim } from "../torch/index.js";

export interface Savable extends nn.Module {
  savePretrained(dir: string): void;
}

export interface TrainerState {
  epoch: number; // epochs completed
  step: number; // optimiser steps taken
  bestValLoss: number;
  bestEpoch: number;
}

/** last/trainer_state.json; a best loss never reached (Infinity, null in JSON) reads back as Infinity. */
export const TRAINER_STATE = jsonFile<TrainerState>("trainer_state.json", (f) => ({
  epoch: f.int("epoch", undefined, 0),
  step: f.int("step", undefined, 0),
  bestValLoss: f.num(
    "bestValLoss",
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.POSITIVE_INFINITY,
  ),
  bestEpoch: f.int("bestEpoch", undefined, -1),
}));

export function saveModelDir(dir: string, model: Savable): void {
  writeDirAtomic(dir, (tmp) => model.savePretrained(tmp));
}

export function saveLast(runDir: string, model: Savable, opt: optim.Adam, state: TrainerState): void {
  writeDirAtomic(join(runDir, "last"), (tmp) => {
    model.savePretrained(tmp);
    const sd = opt.stateDict();
    saveSafetensors(join(tmp, "optimizer.safetensors"), sd.tensors, { groups: JSON.stringify(sd.groups) });
    TRAINER_STATE.write(tmp, state);
  });
}

/** Restores model, optimiser and trainer state from runDir/last; null when there is nothing to resume. */
export function loadLast(runDir: string, model: nn.Module, opt: optim.Adam): TrainerState | null {
  const dir = resolveDir(join(runDir, "last"));
  if (!dir || !existsSync(join(dir, TRAINER_STATE.name))) return null;
  const weights = loadSafetensors(join(dir, "model.safetensors"));
  try {
    model.loadStateDict(weights);
  } finally {
    dispose(weights);
  }
  const optPath = join(dir, "optimizer.safetensors");
  const tensors = loadSafetensors(optPath);
  try {
    const meta = JSON.parse(readSafetensorsHeader(optPath).metadata.groups ?? "[]");
    opt.loadStateDict({ tensors, groups: meta });
  } finally {
    dispose(tensors);
  }
  return TRAINER_STATE.read(dir);
}
