// Every command of the hemoseg CLI, registered in the order --help lists them.
import type { Command } from "commander";
import { registerApp } from "./app.js";
import { registerBench } from "./bench.js";
import { registerData } from "./data.js";
import { registerDemo } from "./demo.js";
import { registerEvaluate } from "./evaluate.js";
import { registerExport } from "./export.js";
import { registerFinetune } from "./finetune.js";
import { registerPredict } from "./predict.js";
import { registerPretrain } from "./pretrain.js";
import { registerReconstruct } from "./reconstruct.js";
import { registerReport } from "./report.js";
import { registerSweep } from "./sweep.js";

export const commands: ((program: Command) => void)[] = [
  registerData,
  registerExport,
  registerPretrain,
  registerReconstruct,
  registerFinetune,
  registerEvaluate,
  registerPredict,
  registerApp,
  registerReport,
  registerSweep,
  registerDemo,
  registerBench,
];
