// Benchmark: segmenting one image in the browser app (hemoseg app: onnxruntime-web, WASM) in
// headless Chromium, timed by the page itself (open to labels, the sliding window included), next
// to what bench/onnx-predict.ts times for libtorch and onnxruntime-node on the same run and image.
// Usage: node dist/bench/app-segment.js --run DIR [--image FILE.npy|.tif] [--size 256] [--repeats 3]
//        [--threads 1] [--batch 16]
// --threads caps the WASM threads (the page uses min(4, navigator.hardwareConcurrency) when
// cross-origin isolated, which hemoseg app --serve is); --batch is windows per inference call.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { writeApp } from "../src/app/generate.js";
import { serveApp } from "../src/app/server.js";
import { slideWindows } from "../src/eval/sliding-window.js";
import { readImageStack } from "../src/io/image-file.js";
import { writeTiff } from "../src/io/tiff.js";
import { openOnnxEngine } from "../src/pipeline/onnx-engine.js";
import { manualSeed, randn } from "../src/torch/index.js";
import { readRunInfo } from "../src/train/run-info.js";

const { values: a } = parseArgs({
  options: {
    run: { type: "string" },
    image: { type: "string" },
    size: { type: "string", default: "256" },
    repeats: { type: "string", default: "3" },
    threads: { type: "string", default: "1" },
    batch: { type: "string", default: "16" },
  },
});
if (!a.run) throw new Error("--run DIR is required");
const repeats = Number(a.repeats);
const threads = Number(a.threads);
const chromiumPath = process.env.HEMOSEG_CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: run scripts/install-browser.sh`);

const tmp = mkdtempSync(join(tmpdir(), "hemoseg-bench-app-"));
try {
  const info = readRunInfo(a.run);
  // The page reads PNG/JPEG/TIFF: the image as a float32 TIFF, one copy per repeat (a new name each).
  manualSeed(0);
  const size = Number(a.size);
  const stack = a.image ? readImageStack(a.image) : randn([info.channels, size, size]).mul(0.2).add(0.5);
  const [C, H, W] = stack.shape;
  const files = Array.from({ length: repeats + 1 }, (_, i) => join(tmp, `image-${i}.tif`));
  const f32 = stack.float();
  for (const f of files) writeTiff(f, f32);
  const data = f32.toFloat32Array();
  f32.dispose();
  stack.dispose();

  const appDir = join(tmp, "app");
  const cfg = writeApp({ run: a.run, out: appDir, batch: Number(a.batch) });
  const { server, url } = await serveApp(appDir, 0);
  const context = await chromium.launchPersistentContext(join(tmp, "profile"), {
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
    ],
  });
  try {
    const page = await context.newPage();
    await page.addInitScript((n) => {
      Object.defineProperty(navigator, "hardwareConcurrency", { get: () => n });
    }, threads);
    await page.goto(url);
    await page.waitForFunction(
      () => (globalThis as { hemosegApp?: { state: string } }).hemosegApp?.state === "ready",
      null,
      { timeout: 300_000 },
    );
    const env = await page.evaluate(() => ({
      isolated: crossOriginIsolated,
      backend: document.querySelector("#backend")?.textContent,
    }));
    const ms: number[] = [];
    for (const [i, f] of files.entries()) {
      await page.setInputFiles("#file", f);
      const name = f.slice(f.lastIndexOf("/") + 1);
      await page.waitForFunction(
        (n) => {
          const app = (globalThis as { hemosegApp?: { state: string; file?: string } }).hemosegApp;
          return app?.file === n && ["segmented", "error", "refused"].includes(app.state);
        },
        name,
        { timeout: 600_000 },
      );
      const r = await page.evaluate(() => {
        const app = (globalThis as unknown as { hemosegApp: { state: string; segmentMs?: number } })
          .hemosegApp;
        return { state: app.state, ms: app.segmentMs, error: document.querySelector("#error")?.textContent };
      });
      if (r.state !== "segmented" || r.ms === undefined) throw new Error(`${f}: ${r.state}: ${r.error}`);
      if (i > 0) ms.push(r.ms); // the first is a warm-up
    }
    // The page's labels against onnxruntime-node's (hemoseg predict --engine onnx) on the app's model.
    const got = await page.evaluate(() =>
      Array.from((globalThis as unknown as { hemosegApp: { labels: Uint8Array } }).hemosegApp.labels),
    );
    const engine = await openOnnxEngine(join(appDir, cfg.model), { threads });
    const o = { tile: engine.tile, overlap: cfg.overlap, batch: cfg.batch, ...engine.stats };
    const { labels: want } = await slideWindows(data, [C, H, W], o, engine.forward);
    await engine.close();
    let same = 0;
    for (let i = 0; i < want.length; i++) same += got[i] === want[i] ? 1 : 0;
    const sorted = [...ms].sort((x, y) => x - y);
    console.log(
      `${a.run}: ${cfg.classes.length} classes, tile ${cfg.tile}; one ${C} x ${H} x ${W} image (${extname(a.image ?? ".random")}), ` +
        `browser ${env.backend}, ${env.isolated ? `cross-origin isolated, ${threads} thread(s)` : "1 thread (not isolated)"}, batch ${a.batch}:`,
    );
    console.log(
      `  onnxruntime-web        median ${sorted[Math.floor(sorted.length / 2)].toFixed(0).padStart(6)} ms  ` +
        `(min ${sorted[0].toFixed(0)}, max ${sorted[sorted.length - 1].toFixed(0)}, ${repeats} runs)`,
    );
    console.log(
      `  labels agree with onnxruntime-node on ${((100 * same) / want.length).toFixed(3)}% of pixels`,
    );
  } finally {
    await context.close();
    server.close();
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
