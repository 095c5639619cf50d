// The frame every training command runs in: the epoch count checked, the run directory held
// (by rank 0 alone under data parallelism) and the process group, if any, open around the body.
import { DataParallel, holdsRunDir } from "./data-parallel.js";
import { checkEpochs, inRunDir } from "./run-dir.js";

export interface TrainingRunOptions {
  out: string;
  epochs: number;
  resume: boolean;
  overwrite?: boolean;
  device: "cpu" | "cuda";
}

/** Runs body(dp) inside the frame; dp is the data-parallel group from torchrun's environment, if any. */
export async function trainingRun<R>(
  o: TrainingRunOptions,
  command: string,
  body: (dp: DataParallel | undefined) => Promise<R>,
): Promise<R> {
  checkEpochs(o.epochs, o.out);
  const run = { resume: o.resume, overwrite: o.overwrite, command, holder: holdsRunDir() };
  return inRunDir(o.out, run, async () => {
    const dp = await DataParallel.fromEnv(o.device);
    try {
      return await body(dp);
    } finally {
      await dp?.close();
    }
  });
}
