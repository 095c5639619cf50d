// The report opened in a real browser: Debian's chromium driven by playwright-core, offline.
// Builds a page from hand-made run directories (no training), then checks what a reader would
// meet: no errors, no network, every image decoded, the tables and charts there, a page not blank.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { classificationReport } from "../../src/eval/report.js";
import { decodePng, encodePng } from "../../src/io/png.js";
import { confusionHeatmapPng } from "../../src/viz/heatmap.js";
import { collectReport } from "../../src/viz/report-data.js";
import { buildReport } from "../../src/viz/report-html.js";
import { examplesGrid } from "../../src/viz/segmentation-examples.js";

const CHROMIUM = process.env.HEMOSEG_CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const CLASSES = ["background", "white blood cell", "platelet", "outer red blood cell"];
const TMP = mkdtempSync(join(tmpdir(), "hemoseg-report-browser-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** A smooth RGB test picture (w x h) so the screenshot has structure. */
function picture(w: number, h: number, seed: number): Buffer {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      data[i] = (x * 255) / w;
      data[i + 1] = (y * 255) / h;
      data[i + 2] = ((x + y + seed * 40) % 64) * 4;
    }
  return encodePng({ width: w, height: h, channels: 3, data });
}

function writeRun(dir: string, command: string, epochs: number, extra: Record<string, unknown> = {}): void {
  mkdirSync(dir, { recursive: true });
  const seg = command !== "pretrain";
  writeFileSync(
    join(dir, "run.json"),
    JSON.stringify({
      command,
      data: join(TMP, "no-dataset"),
      epochs,
      lr: seg ? 1e-3 : 1e-5,
      patch: 4,
      ...(seg ? { classes: CLASSES, tile: 64, channels: 16 } : {}),
      ...extra,
    }),
  );
  const lines = Array.from({ length: epochs }, (_, k) => {
    const e = k + 1;
    const rec: Record<string, number> = {
      epoch: e,
      step: 10 * e,
      train_loss: 2 / e,
      val_loss: 2.2 / e + 0.05 * e,
      images_per_s: 50 + 3 * e,
      lr: 1e-3,
    };
    if (seg) Object.assign(rec, { val_macro_f1: 1 - 1 / (e + 1), val_accuracy: 0.9 });
    return JSON.stringify(rec);
  });
  writeFileSync(join(dir, "metrics.jsonl"), `${lines.join("\n")}\n`);
}

function writeEvaluation(dir: string, sparse: number[][], full: number[][]): void {
  const ev = join(dir, "eval-test");
  mkdirSync(ev, { recursive: true });
  const pack = (cm: number[][]) => ({ report: classificationReport(cm, CLASSES), confusion: cm });
  writeFileSync(
    join(ev, "evaluation.json"),
    JSON.stringify({ split: "test", sparse: pack(sparse), full: pack(full) }),
  );
  writeFileSync(join(ev, "confusion-sparse.png"), confusionHeatmapPng(sparse, CLASSES));
  // confusion-full.png left out: the report renders it from the matrix.
}

function buildFixture(): { html: string; images: number } {
  const mae = join(TMP, "runs", "mae");
  writeRun(mae, "pretrain", 6);
  writeFileSync(join(mae, "test.json"), JSON.stringify({ bestEpoch: 6, bestValLoss: 0.4, testLoss: 0.41 }));
  mkdirSync(join(mae, "reconstructions"), { recursive: true });
  writeFileSync(join(mae, "reconstructions", "reconstruct-01.png"), picture(200, 120, 1));
  writeFileSync(
    join(mae, "reconstructions", "reconstruct.json"),
    JSON.stringify({ maskRatio: 0.5, meanLoss: 0.4, split: "test" }),
  );
  const unetr = join(TMP, "runs", "unetr");
  writeRun(unetr, "finetune", 8, { encoder: join(mae, "best") });
  writeEvaluation(
    unetr,
    [
      [900, 20, 5, 10],
      [15, 300, 0, 5],
      [4, 1, 60, 0],
      [10, 3, 0, 200],
    ],
    [
      [9000, 300, 50, 150],
      [200, 3000, 10, 90],
      [40, 10, 500, 5],
      [100, 40, 5, 2000],
    ],
  );
  const unet = join(TMP, "runs", "unet");
  writeRun(unet, "train-unet", 8);
  writeEvaluation(
    unet,
    [
      [880, 30, 10, 15],
      [25, 290, 0, 5],
      [10, 2, 50, 3],
      [12, 5, 0, 196],
    ],
    [
      [8800, 400, 100, 200],
      [300, 2900, 20, 80],
      [60, 20, 470, 5],
      [150, 50, 5, 1940],
    ],
  );
  const input = collectReport([mae, unetr, unet], {
    title: "Browser test report",
    examples: 2,
    generated: "2026-01-01 00:00",
  });
  // The examples grid from hand-made tiles (the model path is tested in report.test.ts).
  const S = 16;
  const full = Uint8Array.from({ length: S * S }, (_, i) => ((i % S) >> 2) % 4);
  const row = {
    image: Float32Array.from({ length: 3 * S * S }, (_, i) => Math.sin(i / 7) + (i >> 8)),
    sparse: Uint8Array.from(full, (v, i) => (i % 11 === 0 ? v : 255)),
    full,
    predictions: [full, Uint8Array.from(full, (v, i) => (i % 5 ? v : 0))],
    label: "tile 1",
  };
  input.examples = [
    {
      title: "Test tiles",
      png: examplesGrid([row, row], {
        channels: 3,
        size: S,
        rgb: [0, 1, 2],
        modelNames: ["unetr", "unet"],
        classes: 4,
      }),
      classes: CLASSES,
      caption: "Two hand-made tiles.",
    },
  ];
  input.summaryTable = {
    models: {
      unetr: { accuracy: 0.93, macro_f1: 0.88 },
      unet: { accuracy: 0.91, macro_f1: 0.84 },
    },
  };
  input.sweeps = [
    {
      title: "Patch size",
      rows: [
        { patch: 2, macro_f1: 0.8 },
        { patch: 4, macro_f1: 0.85 },
      ],
    },
  ];
  // Heatmaps (2 sparse + 2 full), reconstruction, examples.
  return { html: buildReport(input), images: 6 };
}

test("the report opens offline in headless Chromium: no errors, images decoded, tables and charts, not blank", async (t) => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: run scripts/install-browser.sh (installs Debian's chromium) before the browser test`,
  );
  const { html, images } = buildFixture();
  assert.match(html, /names no dataset|dataset not found/); // the missing dataset is reported, not fatal
  const file = join(TMP, "report.html");
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;

  const context = await chromium.launchPersistentContext(join(TMP, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  try {
    const requests: string[] = [];
    const errors: string[] = [];
    const page = await context.newPage();
    page.on("request", (r) => {
      requests.push(r.url());
    });
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") errors.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => {
      errors.push(`page error: ${e.message}`);
    });
    await page.goto(url, { waitUntil: "load" });

    assert.deepEqual(errors, []);
    assert.deepEqual(
      requests.filter((u) => !u.startsWith("data:")),
      [url],
      "the page must load nothing but itself and data: URIs",
    );
    const imgs = await page.$$eval("img", (els) =>
      els.map((e) => ({
        ok: e.complete && e.naturalWidth > 0 && e.naturalHeight > 0,
        src: e.src.slice(0, 22),
      })),
    );
    assert.equal(imgs.length, images);
    for (const [i, im] of imgs.entries()) {
      assert.ok(im.ok, `image ${i} did not decode`);
      assert.equal(im.src, "data:image/png;base64,");
    }
    const text = (await page.textContent("body")) ?? "";
    for (const c of CLASSES) assert.ok(text.includes(c), `class "${c}" is not on the page`);
    const avgRows = await page.$$eval("tr th", (ths) => ths.map((th) => th.textContent));
    assert.equal(avgRows.filter((x) => x === "macro avg").length, 2, "sparse and full reports");
    assert.equal(avgRows.filter((x) => x === "weighted avg").length, 2);
    assert.ok((await page.$$("td.best")).length > 0, "best values are highlighted");
    // Loss chart a run, validation macro F1, throughput, F1 bars for sparse and full.
    const charts = await page.$$eval("svg", (els) => els.map((e) => e.getBoundingClientRect().width));
    assert.equal(charts.length, 3 + 1 + 1 + 2);
    assert.ok(charts.every((w) => w > 200));
    for (const h of [
      "Runs",
      "Summary",
      "Segmentation results",
      "Segmentation examples",
      "MAE reconstructions",
      "Training curves",
      "Sweeps",
      "Configurations",
    ])
      assert.ok(await page.$(`h2:text-is("${h}")`), `section "${h}" is missing`);

    const shot = await page.screenshot({ fullPage: true });
    const out = process.env.HEMOSEG_REPORT_SCREENSHOT;
    if (out) writeFileSync(out, shot);
    const png = decodePng(shot);
    const ch = png.channels;
    let sum = 0;
    let sum2 = 0;
    let ink = 0;
    const n = png.width * png.height;
    for (let i = 0; i < n; i++) {
      const l = (png.data[i * ch] + png.data[i * ch + 1] + png.data[i * ch + 2]) / 3;
      sum += l;
      sum2 += l * l;
      if (l < 200) ink++;
    }
    const std = Math.sqrt(sum2 / n - (sum / n) ** 2);
    t.diagnostic(
      `screenshot ${png.width} x ${png.height}, luminance std ${std.toFixed(1)}, ${((100 * ink) / n).toFixed(1)}% ink`,
    );
    assert.ok(png.height > 2000, `the page is only ${png.height} px tall`);
    assert.ok(std > 20, `screenshot looks blank (luminance std ${std.toFixed(1)})`);
    assert.ok(ink / n > 0.02, `screenshot has almost no ink (${((100 * ink) / n).toFixed(2)}%)`);
  } finally {
    await context.close();
  }
});
