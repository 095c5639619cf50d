// hemoseg app: the browser app for a segmentation run (segment images, paint sparse labels), as a
// static folder, optionally served on 127.0.0.1.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { writeApp } from "../../app/generate.js";
import { serveApp } from "../../app/server.js";
import { UsageError } from "../common.js";
import { floatOption, intOption } from "../numeric.js";

interface Opts {
  run?: string;
  out: string;
  which: string;
  overlap: number;
  batch: number;
  serve?: boolean;
  port: number;
}

export function registerApp(program: Command): void {
  program
    .command("app")
    .description(
      "write a static web app that segments images and paints sparse labels in the browser, offline",
    )
    .option(
      "--run <dir>",
      "a finetune or train-unet run directory (required unless --serve finds an app in --out)",
    )
    .requiredOption(
      "--out <dir>",
      "the app folder to write (index.html, model.onnx, app.json, js/, ort/, vendor/)",
    )
    .option("--which <ckpt>", "checkpoint: best or last", "best")
    .addOption(
      floatOption(
        "--overlap <f>",
        "fraction of a tile neighbouring windows share",
        { min: 0, below: 1 },
        0.5,
      ),
    )
    .addOption(intOption("--batch <n>", "windows per inference call in the browser", { min: 1 }, 4))
    .option("--serve", "serve the folder on 127.0.0.1 until interrupted")
    .addOption(intOption("--port <n>", "port for --serve (0: any free port)", { min: 0, max: 65535 }, 8765))
    .action(async (o: Opts) => {
      if (o.which !== "best" && o.which !== "last")
        throw new UsageError(`--which must be best or last, not '${o.which}'`);
      if (!(Number.isInteger(o.port) && o.port >= 0 && o.port < 65536))
        throw new UsageError(`--port must be 0..65535, got ${o.port}`);
      if (o.run) {
        const t0 = Date.now();
        const cfg = writeApp({ run: o.run, out: o.out, which: o.which, overlap: o.overlap, batch: o.batch });
        console.log(
          `${o.out}/: app for ${cfg.architecture} (${cfg.classes.length} classes, ${cfg.channels} channels, ${cfg.tile} px tiles) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        );
      } else if (!o.serve || !existsSync(join(o.out, "app.json"))) {
        throw new UsageError(`--run is required (${o.out} holds no app to serve)`);
      }
      if (!o.serve) return;
      const { server, url } = await serveApp(o.out, o.port);
      console.log(`serving ${o.out} at ${url} (127.0.0.1 only; Ctrl-C stops)`);
      await new Promise<void>((done) => {
        process.once("SIGINT", () => server.close(() => done()));
        process.once("SIGTERM", () => server.close(() => done()));
      });
    });
}
