#!/usr/bin/env node
// hemoseg's command line: one file per command under src/cli/commands.
import { Command } from "commander";
import { commands } from "./commands/index.js";
import { UsageError } from "./common.js";

const program = new Command("hemoseg")
  .description("Masked auto-encoder pre-training and UNETR segmentation for multi-channel blood microscopy")
  .version("0.1.0")
  .showHelpAfterError();
for (const register of commands) register(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  const err = e as Error;
  process.stderr.write(
    `hemoseg: ${err instanceof UsageError || process.env.HEMOSEG_DEBUG !== "1" ? err.message : err.stack}\n`,
  );
  process.exit(1);
});
