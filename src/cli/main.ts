#!/usr/bin/env node
// hemoseg's command line: one file per command under src/cli/commands.
import { Command } from "commander";
import { Interrupted } from "../train/interrupt.js";
import { commands } from "./commands/index.js";
import { UsageError } from "./common.js";

const program = new Command("hemoseg")
  .description("Masked auto-encoder pre-training and UNETR segmentation for multi-channel blood microscopy")
  .version("0.1.0")
  .showHelpAfterError();
for (const register of commands) register(program);

/** Commands with a --resume option. */
const RESUMABLE = new Set(["pretrain", "finetune", "train-unet", "sweep"]);

/** The command line that continues an interrupted run: the same one, with --resume. */
function resumeCommand(): string {
  const args = process.argv.slice(2).filter((a) => a !== "--overwrite" && a !== "--resume");
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`);
  return ["hemoseg", ...args, "--resume"].map(quote).join(" ");
}

program.parseAsync(process.argv).catch((e: unknown) => {
  const err = e as Error;
  if (err instanceof Interrupted) {
    process.stderr.write(`hemoseg: ${err.message}\n`);
    if (err.checkpoint && RESUMABLE.has(process.argv[2]))
      process.stderr.write(`hemoseg: to resume: ${resumeCommand()}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(
    `hemoseg: ${err instanceof UsageError || process.env.HEMOSEG_DEBUG !== "1" ? err.message : err.stack}\n`,
  );
  process.exit(1);
});
