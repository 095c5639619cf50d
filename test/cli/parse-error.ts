// Parsing a command line as the hemoseg CLI does, in the test's own process.
import { Command } from "commander";
import { commands } from "../../src/cli/commands/index.js";

/** Parses args as the hemoseg CLI does, in this process; resolves to the error it throws. */
export async function parseError(args: string[]): Promise<Error | null> {
  const program = new Command("hemoseg");
  for (const register of commands) register(program);
  const quiet = (c: Command) => {
    c.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    for (const s of c.commands) quiet(s);
  };
  quiet(program);
  try {
    await program.parseAsync(args, { from: "user" });
    return null;
  } catch (e) {
    return e as Error;
  }
}
