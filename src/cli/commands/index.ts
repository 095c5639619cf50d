// Every command of the hemoseg CLI, registered in the order --help lists them.
import type { Command } from "commander";
import { registerBench } from "./bench.js";

export const commands: ((program: Command) => void)[] = [registerBench];
