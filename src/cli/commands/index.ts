// Every command of the hemoseg CLI, registered in the order --help lists them.
import type { Command } from "commander";
import { registerBench } from "./bench.js";
import { registerData } from "./data.js";
import { registerEvaluate } from "./evaluate.js";
import { registerFinetune } from "./finetune.js";
import { registerPretrain } from "./pretrain.js";

export const commands: ((program: Command) => void)[] = [registerData, registerPretrain, registerFinetune, registerEvaluate, registerBench];
