// Run directories: last/ (model + optimiser + trainer state, for --resume) and best/ (the model
// with the lowest validation loss), each replaced atomically so a killed run keeps the last good one.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveDir, writeDirAtomic, writeFileAtomic } from "../io/atomic.js";
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

export function saveModelDir(dir: string, model: Savable): void {
  writeDirAtomic(dir, (tmp) => model.savePretrained(tmp));
}

export function saveLast(runDir: string, model: Savable, opt: optim.Adam, state: TrainerState): void {
  writeDirAtomic(join(runDir, "last"), (tmp) => {
    model.savePretrained(tmp);
    const sd = opt.stateDict();
    saveSafetensors(join(tmp, "optimizer.safetensors"), sd.tensors, { groups: JSON.stringify(sd.groups) });
    writeFileAtomic(join(tmp, "trainer_state.json"), `${JSON.stringify(state, null, 2)}\n`);
  });
}

/** Restores model, optimiser and trainer state from runDir/last; null when there is nothing to resume. */
export function loadLast(runDir: string, model: nn.Module, opt: optim.Adam): TrainerState | null {
  const dir = resolveDir(join(runDir, "last"));
  if (!dir || !existsSync(join(dir, "trainer_state.json"))) return null;
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
  return JSON.parse(readFileSync(join(dir, "trainer_state.json"), "utf8")) as TrainerState;
}
