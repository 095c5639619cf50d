// The browser app end to end in headless Chromium (Debian's, driven by playwright-core, offline):
// a tiny UNETR trained here, exported by hemoseg and written out by `hemoseg app`, served on
// 127.0.0.1; wrong images refused with a visible message; a 4-channel TIFF segmented in the page
// with the labels of `hemoseg predict`; two painted strokes saved as a mask that `hemoseg import`
// takes, labelling exactly the painted pixels. HEMOSEG_APP_SCREENSHOTS=DIR keeps screenshots.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { chromium, type Page } from "playwright-core";
import { writeApp } from "../../src/app/generate.js";
import { serveApp } from "../../src/app/server.js";
import { importDataset } from "../../src/data/import.js";
import { synthDatasets } from "../../src/data/synth-datasets.js";
import { readNpy } from "../../src/io/npy.js";
import { encodePng } from "../../src/io/png.js";
import { writeTiff } from "../../src/io/tiff.js";
import { predictFiles } from "../../src/pipeline/predict-files.js";
import { randn } from "../../src/torch/index.js";
import { FINETUNE_DEFAULTS, finetune } from "../../src/train/finetune.js";

const CHROMIUM = process.env.HEMOSEG_CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.HEMOSEG_APP_SCREENSHOTS;
const TMP = mkdtempSync(join(tmpdir(), "hemoseg-app-browser-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

const S = 256;
const C = 4;
const run = join(TMP, "run");
const appDir = join(TMP, "app");
const image = join(TMP, "smear.tif");

before(async () => {
  const data = synthDatasets({
    out: join(TMP, "data"),
    stacks: 4,
    tiles: 24,
    channels: C,
    size: S,
    tile: 32,
    seed: 7,
  });
  await finetune({
    ...FINETUNE_DEFAULTS,
    arch: "unetr",
    data: data.segmentation.dir,
    out: run,
    model: "model2",
    patch: 8,
    featureSize: 8,
    epochs: 1,
    batchSize: 8,
    maxSteps: 2,
    quiet: true,
  });
  const stacks = readNpy(join(data.pretrain.dir, "images.npy")); // (N, C, S, S)
  const first = stacks.select(0, 0).contiguous();
  writeTiff(image, first);
  first.dispose();
  stacks.dispose();
  writeApp({ run, out: appDir });
});

/** The pixels within radius r of the polyline through pts (pixel centres at +0.5), row-major. */
function expectedStroke(pts: [number, number][], r: number, W: number, H: number): Set<number> {
  const out = new Set<number>();
  for (let k = 0; k + 1 < pts.length; k++) {
    const [ax, ay] = pts[k];
    const [bx, by] = pts[k + 1];
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const [px, py] = [x + 0.5, y + 0.5];
        const len2 = (bx - ax) ** 2 + (by - ay) ** 2;
        const t = Math.max(0, Math.min(1, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len2));
        if ((px - ax - t * (bx - ax)) ** 2 + (py - ay - t * (by - ay)) ** 2 <= r * r) out.add(y * W + x);
      }
  }
  return out;
}

/** Opens a file in the page and waits until the app has done with it (refused, segmented...). */
async function openImage(page: Page, file: string, until: string[]): Promise<string> {
  await page.setInputFiles("#file", file);
  const name = basename(file);
  await page.waitForFunction(
    ([n, states]) => {
      const app = (globalThis as { hemosegApp?: { state: string; file?: string } }).hemosegApp;
      return app?.file === n && states.includes(app.state);
    },
    [name, until] as const,
    { timeout: 300_000 },
  );
  return page.evaluate(() => (globalThis as unknown as { hemosegApp: { state: string } }).hemosegApp.state);
}

async function stroke(page: Page, pts: [number, number][]): Promise<void> {
  const box = (await page.locator("#strokes").boundingBox())!;
  const at = ([x, y]: [number, number]) => [box.x + x, box.y + y] as const;
  await page.mouse.move(...at(pts[0]));
  await page.mouse.down();
  for (const p of pts.slice(1)) await page.mouse.move(...at(p), { steps: 1 });
  await page.mouse.up();
}

test("the app segments like hemoseg predict and saves painted strokes that hemoseg import takes", async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/install-browser.sh`);
  const { server, url } = await serveApp(appDir, 0);
  const context = await chromium.launchPersistentContext(join(TMP, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
    ],
    viewport: { width: 1200, height: 800 },
    acceptDownloads: true,
  });
  try {
    const page = await context.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on("request", (r) => {
      requests.push(r.url());
    });
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => {
      errors.push(`page error: ${e.message}`);
    });
    await page.goto(url);
    await page.waitForFunction(
      () => (globalThis as { hemosegApp?: { state: string } }).hemosegApp?.state === "ready",
      null,
      {
        timeout: 120_000,
      },
    );
    assert.equal(await page.locator("#no-server").isVisible(), false);
    assert.equal(await page.locator("#backend").textContent(), "WASM");
    assert.equal(await page.locator("#legend-rows tr").count(), 11);

    // Wrong images are refused with a visible message naming the file and the problem.
    const rgb = join(TMP, "photo.png");
    writeFileSync(
      rgb,
      encodePng({ width: 64, height: 64, channels: 3, data: new Uint8Array(64 * 64 * 3).fill(90) }),
    );
    assert.equal(await openImage(page, rgb, ["refused", "error"]), "refused");
    assert.match(
      (await page.locator("#error").textContent()) ?? "",
      /photo\.png: has 3 channel\(s\); the model was trained on 4/,
    );
    assert.ok(await page.locator("#error").isVisible());
    const small = join(TMP, "small.tif");
    const t0 = randn([C, 20, 40]);
    writeTiff(small, t0);
    t0.dispose();
    assert.equal(await openImage(page, small, ["refused", "error"]), "refused");
    assert.match(
      (await page.locator("#error").textContent()) ?? "",
      /small\.tif: 20 x 40 is smaller than one 32 x 32 tile/,
    );
    const jpeg = join(TMP, "snapshot.jpg");
    writeFileSync(jpeg, await page.screenshot({ type: "jpeg" }));
    assert.equal(await openImage(page, jpeg, ["refused", "error"]), "refused");
    assert.match((await page.locator("#error").textContent()) ?? "", /snapshot\.jpg: has 3 channel\(s\)/);
    const junk = join(TMP, "notes.txt");
    writeFileSync(junk, "not an image");
    assert.equal(await openImage(page, junk, ["refused", "error"]), "error");
    assert.match(
      (await page.locator("#error").textContent()) ?? "",
      /notes\.txt: not a PNG, TIFF or JPEG image/,
    );

    // Segmentation: the browser's labels against hemoseg predict's on the same TIFF.
    assert.equal(await openImage(page, image, ["segmented", "error", "refused"]), "segmented");
    assert.equal(await page.locator("#error").isVisible(), false);
    const got = await page.evaluate(() => {
      const a = (globalThis as unknown as { hemosegApp: { labels: Uint8Array; segmentMs: number } })
        .hemosegApp;
      return { labels: Array.from(a.labels), ms: a.segmentMs };
    });
    // hemoseg predict with libtorch on the run's checkpoint, and with onnxruntime-node on the app's model
    const predict = async (engine: "libtorch" | "onnx") => {
      const out = join(TMP, `pred-${engine}`);
      const {
        done: [f],
      } = await predictFiles({
        ...(engine === "onnx" ? { engine, onnx: join(appDir, "model.onnx") } : { run }),
        input: image,
        out,
        overlap: 0.5,
        batch: 4,
        which: "best",
        device: "cpu",
      });
      const t = readNpy(join(out, f.npy));
      const labels = t.toTypedArray() as Uint8Array;
      t.dispose();
      return { f, labels };
    };
    const agree = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let n = 0;
      for (let i = 0; i < a.length; i++) if (a[i] === b[i]) n++;
      return n;
    };
    const { f: done, labels: want } = await predict("libtorch");
    const { labels: viaOnnx } = await predict("onnx");
    assert.equal(got.labels.length, S * S);
    const same = agree(got.labels, want);
    const sameOnnx = agree(got.labels, viaOnnx);
    t.diagnostic(
      `browser (WASM) segmented ${S} x ${S} in ${got.ms.toFixed(0)} ms; pixels agreeing with hemoseg predict: ${same} of ${S * S} (libtorch), ${sameOnnx} (onnxruntime-node)`,
    );
    assert.ok(same / (S * S) >= 0.999, `${S * S - same} pixels differ from hemoseg predict (libtorch)`);
    assert.ok(
      sameOnnx / (S * S) >= 0.999,
      `${S * S - sameOnnx} pixels differ from hemoseg predict --engine onnx`,
    );
    assert.ok(new Set(want).size > 1, "the reference labels more than one class");
    const counts = await page.locator("#legend-rows td.predicted").allTextContents();
    const wantCounts = done.counts.map((c) => c.toLocaleString("en"));
    assert.ok(counts.filter((c, k) => c === wantCounts[k]).length >= 9, `counts ${counts} vs ${wantCounts}`);
    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, "app-segmented.png"), fullPage: true });
    }

    // Painting: two strokes of two classes with a 9 px brush, then save and import.
    await page.$eval("#brush-size", (e) => {
      (e as HTMLInputElement).value = "9";
      e.dispatchEvent(new Event("input"));
    });
    const strokes: [number, [number, number][]][] = [
      [
        2,
        [
          [40.25, 60.25],
          [120.25, 64.25],
          [150.25, 100.25],
        ],
      ],
      [
        5,
        [
          [200.25, 30.25],
          [180.25, 200.25],
        ],
      ],
    ];
    for (const [cls, pts] of strokes) {
      await page.locator(`#legend-rows tr[data-class="${cls}"] input[type=radio]`).check();
      await stroke(page, pts);
    }
    // a third stroke, undone, must leave no trace
    await page.locator(`#legend-rows tr[data-class="7"] input[type=radio]`).check();
    await stroke(page, [
      [10.25, 240.25],
      [240.25, 240.25],
    ]);
    await page.keyboard.press("Control+z");
    const painted = await page.locator("#legend-rows td.painted").allTextContents();
    if (SHOTS) await page.screenshot({ path: join(SHOTS, "app-painted.png"), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save")]);
    assert.equal(download.suggestedFilename(), "smear_mask.png");
    const mask = join(TMP, "masks", "smear_mask.png");
    mkdirSync(join(TMP, "masks"));
    await download.saveAs(mask);

    const classes = Array.from({ length: 11 }, (_, k) => `class ${k}`);
    importDataset({ images: image, masks: mask, out: join(TMP, "imported"), classes, kind: "segmentation" });
    const m = readNpy(join(TMP, "imported", "masks.npy"));
    assert.deepEqual(m.shape, [1, S, S]);
    const labels = m.toTypedArray() as Uint8Array;
    m.dispose();
    const want2 = expectedStroke(strokes[0][1], 4.5, S, S);
    const want5 = expectedStroke(strokes[1][1], 4.5, S, S);
    let wrong = 0;
    for (let i = 0; i < S * S; i++) {
      const expect = want5.has(i) ? 5 : want2.has(i) ? 2 : 255;
      if (labels[i] !== expect) wrong++;
    }
    assert.equal(wrong, 0, `${wrong} pixels differ from the painted strokes`);
    const n2 = [...want2].filter((i) => !want5.has(i)).length;
    assert.equal(painted[2], n2.toLocaleString("en"));
    assert.equal(painted[5], want5.size.toLocaleString("en"));
    assert.equal(painted[7], "0");

    await page.selectOption("#zoom", "2");
    assert.equal((await page.locator("#strokes").boundingBox())?.width, 2 * S, "zoom 200%");

    assert.deepEqual(errors, []);
    assert.deepEqual(
      requests.filter((u) => !u.startsWith(url) && !u.startsWith("blob:") && !u.startsWith("data:")),
      [],
      "the app loads nothing from elsewhere",
    );

    // Opened from file://, the page says how to serve it instead of failing silently.
    const filePage = await context.newPage();
    await filePage.goto(pathToFileURL(join(appDir, "index.html")).href);
    await filePage.waitForTimeout(500);
    assert.ok(await filePage.locator("#no-server").isVisible());
  } finally {
    await context.close();
    server.close();
  }
});
