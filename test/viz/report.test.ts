import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { openDataset, writeDataset } from "../../src/data/dataset.js";
import { normaliseChannels } from "../../src/eval/predict.js";
import { classificationReport } from "../../src/eval/report.js";
import { decodePng, encodePng } from "../../src/io/png.js";
import { BasicUNet } from "../../src/models/unet.js";
import { manualSeed, noGrad, stack } from "../../src/torch/index.js";
import { classPalette } from "../../src/viz/colours.js";
import { collectReport, readRunDir, runNames } from "../../src/viz/report-data.js";
import { buildReport, pngSize, type ReportInput, type ReportRun } from "../../src/viz/report-html.js";
import { examplesGrid, pickTestTiles, segmentationExamples } from "../../src/viz/segmentation-examples.js";
import { ROOT } from "../helpers.js";

const TMP = mkdtempSync(join(tmpdir(), "hemoseg-report-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

const CLASSES = ["background", "cell", "platelet"];
const CM_A = [
  [50, 5, 0],
  [4, 30, 1],
  [1, 1, 8],
];
const CM_B = [
  [52, 3, 0],
  [10, 24, 1],
  [0, 0, 10],
];

function png(w: number, h: number, seed = 1): Buffer {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + seed * 101) % 256;
  return encodePng({ width: w, height: h, channels: 3, data });
}

function segRun(name: string, cm: number[][], full?: number[][]): ReportRun {
  return {
    name,
    dir: `/runs/${name}`,
    command: "finetune",
    options: {
      command: "finetune",
      lr: 0.001,
      epochs: 3,
      classes: CLASSES,
      featureSize: name === "A" ? 32 : 64,
    },
    metrics: [1, 2, 3].map((epoch) => ({
      epoch,
      train_loss: 1 / epoch,
      val_loss: [0.9, 0.5, 0.7][epoch - 1],
      val_macro_f1: 0.2 * epoch,
      images_per_s: 100 + epoch,
    })),
    evaluation: {
      split: "test",
      sparse: { report: classificationReport(cm, CLASSES), confusion: cm },
      ...(full ? { full: { report: classificationReport(full, CLASSES), confusion: full } } : {}),
    },
    confusionImages: { sparse: png(40, 30), full: full ? png(800, 300) : undefined },
  };
}

/** The <td> cells of the table row whose header cell is `label`, from the first table after `from`. */
function rowCells(html: string, label: string, from = 0): string[] {
  const start = html.indexOf(`<th>${label}</th>`, from);
  assert.ok(start >= 0, `no row "${label}"`);
  const row = html.slice(start, html.indexOf("</tr>", start));
  return [...row.matchAll(/<td class="([^"]*)">([^<]*)<\/td>/g)].map(
    (m) => `${m[1].includes("best") ? "*" : ""}${m[2]}`,
  );
}

test("buildReport: Tables 7-8 side by side with the best value per row marked, sparse and full", () => {
  const input: ReportInput = {
    title: "Report <&>",
    generated: "2026-01-01",
    runs: [segRun("A", CM_A, CM_A), segRun("B", CM_B)],
  };
  const html = buildReport(input);
  assert.ok(html.startsWith("<!DOCTYPE html>"));
  assert.match(html, /<title>Report &lt;&amp;&gt;<\/title>/);
  // Sparse table: shared support column, then precision/recall/F1 per model.
  const sparseAt = html.indexOf("<h3>Sparse labels</h3>");
  const a = classificationReport(CM_A, CLASSES).perClass.cell;
  const b = classificationReport(CM_B, CLASSES).perClass.cell;
  const cell = rowCells(html, "cell", sparseAt);
  assert.equal(cell.length, 7);
  assert.equal(cell[0], "35"); // support
  // A has the better recall and F1 for "cell", B the better precision.
  assert.ok(a.recall > b.recall && a.f1 > b.f1 && b.precision > a.precision);
  assert.deepEqual(cell.slice(1), [
    a.precision.toFixed(2),
    `*${a.recall.toFixed(2)}`,
    `*${a.f1.toFixed(2)}`,
    `*${b.precision.toFixed(2)}`,
    b.recall.toFixed(2),
    b.f1.toFixed(2),
  ]);
  for (const row of ["accuracy", "macro avg", "weighted avg"])
    assert.ok(rowCells(html, row, sparseAt).length > 0);
  // Full masks: only A has them, so a one-model table without highlights.
  const fullAt = html.indexOf("<h3>Full masks</h3>");
  assert.ok(fullAt > sparseAt);
  const fullCell = rowCells(html, "cell", fullAt);
  assert.equal(fullCell.length, 4);
  assert.ok(fullCell.every((c) => !c.startsWith("*")));
  // Charts: one loss chart per run, validation macro F1, throughput, and F1 bars.
  assert.equal((html.match(/<svg /g) ?? []).length, 2 + 1 + 1 + 2);
  assert.match(html, /Validation macro F1/);
  // Images are inline PNGs with their pixel size; the page loads nothing.
  const imgs = [...html.matchAll(/<img [^>]*src="([^"]+)" width="(\d+)" height="(\d+)"/g)];
  assert.equal(imgs.length, 3);
  const sizes = imgs.map((m) => {
    assert.ok(m[1].startsWith("data:image/png;base64,"));
    const p = decodePng(Buffer.from(m[1].slice(22), "base64"));
    return [p.width, p.height, Number(m[2]), Number(m[3])];
  });
  // Small heatmaps at their own size, large ones (drawn at font scale 2) at half.
  assert.deepEqual(sizes, [
    [40, 30, 40, 30],
    [800, 300, 400, 150],
    [40, 30, 40, 30],
  ]);
  assert.doesNotMatch(html, /<script|<link|url\(|src="http/);
  // Configuration table: options that differ are marked.
  assert.match(html, /<tr class="differs"><th>featureSize<\/th>/);
  assert.match(html, /<tr><th>lr<\/th>/);
});

test("buildReport: per-model support when models were scored on different pixels; summary and sweeps", () => {
  const other = [
    [10, 0, 0],
    [0, 5, 0],
    [0, 0, 2],
  ];
  const html = buildReport({
    runs: [segRun("A", CM_A), segRun("B", other)],
    summaryTable: {
      models: {
        unetr: {
          accuracy: 0.9,
          macro_f1: 0.8,
          per_class: { cell: { precision: 1, recall: 1, f1: 0.7, support: 3 } },
          seconds: 12,
        },
        unet: { accuracy: 0.95, macro_f1: 0.7, seconds: 5 },
      },
    },
    sweeps: [
      {
        title: "Patch size",
        markdownTable: "| patch | macro_f1 |\n|---|---|\n| 2 | 0.5 |",
        rows: [
          { patch: 2, macro_f1: 0.5, val_loss: 0.3 },
          { patch: 4, macro_f1: 0.6, val_loss: 0.4 },
        ],
      },
    ],
  });
  const sparseAt = html.indexOf("<h3>Sparse labels</h3>");
  assert.equal(rowCells(html, "cell", sparseAt).length, 8); // 4 columns a model
  assert.deepEqual(rowCells(html, "accuracy", html.indexOf('id="summary"')), ["0.90", "*0.95"]);
  assert.deepEqual(rowCells(html, "macro F1"), ["*0.80", "0.70"]);
  assert.deepEqual(rowCells(html, "F1 cell"), ["0.70", "—"]);
  assert.deepEqual(rowCells(html, "seconds"), ["12", "5"]); // no direction known: not ranked
  const sweepAt = html.indexOf("<h3>Patch size</h3>");
  assert.ok(sweepAt > 0);
  const sweepRows = html.slice(sweepAt).match(/<tr>.*?<\/tr>/g)!;
  assert.match(sweepRows[1], /<td class="n">2<\/td><td class="n">0.5<\/td><td class="n best">0.3<\/td>/);
  assert.match(sweepRows[2], /<td class="n best">0.6<\/td>/);
  assert.match(html, /<pre>\| patch \| macro_f1 \|/);
});

test("pngSize reads the IHDR and rejects other files", () => {
  assert.deepEqual(pngSize(png(7, 5)), { width: 7, height: 5 });
  assert.throws(() => pngSize(Buffer.from("GIF89a...................")), /not a PNG/);
});

/** A run directory as the trainers and evaluate write it, with no checkpoint. */
function fakeRunDir(dir: string, command: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "run.json"), JSON.stringify({ command, lr: 0.01, classes: CLASSES }));
  writeFileSync(
    join(dir, "metrics.jsonl"),
    `${[1, 2].map((e) => JSON.stringify({ epoch: e, train_loss: 1 / e, val_loss: 2 / e, images_per_s: 10 })).join("\n")}\n`,
  );
}

test("readRunDir collects metrics, test.json, nested reconstructions and evaluation, rendering missing heatmaps", () => {
  const pre = join(TMP, "collect", "mae");
  fakeRunDir(pre, "pretrain");
  writeFileSync(join(pre, "test.json"), JSON.stringify({ bestEpoch: 2, bestValLoss: 1, testLoss: 1.1 }));
  mkdirSync(join(pre, "reconstructions", "more"), { recursive: true });
  writeFileSync(join(pre, "reconstructions", "reconstruct-01.png"), png(8, 4));
  writeFileSync(join(pre, "reconstructions", "more", "x.png"), png(4, 4));
  writeFileSync(
    join(pre, "reconstructions", "reconstruct.json"),
    JSON.stringify({ maskRatio: 0.75, meanLoss: 0.5 }),
  );
  const r = readRunDir(pre);
  assert.equal(r.name, "mae");
  assert.equal(r.metrics.length, 2);
  assert.equal(r.test?.testLoss, 1.1);
  assert.deepEqual(
    r.reconstructions?.images.map((i) => i.caption),
    ["more/x.png", "reconstruct-01.png"],
  );
  assert.equal(r.reconstructions?.maskRatio, 0.75);

  const seg = join(TMP, "collect", "unet");
  fakeRunDir(seg, "train-unet");
  mkdirSync(join(seg, "eval-test"));
  const ev = { split: "test", sparse: { report: classificationReport(CM_A, CLASSES), confusion: CM_A } };
  writeFileSync(join(seg, "eval-test", "evaluation.json"), JSON.stringify(ev));
  const s = readRunDir(seg, "U");
  assert.equal(s.name, "U");
  assert.equal(s.evaluation?.sparse.report.accuracy, ev.sparse.report.accuracy);
  assert.ok(decodePng(s.confusionImages!.sparse!).width > 100, "heatmap rendered from the confusion matrix");
  assert.equal(s.confusionImages?.full, undefined);

  writeFileSync(join(seg, "eval-test", "evaluation.json"), "{ nope");
  assert.throws(() => readRunDir(seg), /eval-test\/evaluation\.json: not valid JSON/);
  assert.throws(
    () => readRunDir(join(TMP, "collect")),
    /collect: not a hemoseg run directory \(no run\.json\)/,
  );
});

test("runNames uses base names, and paths from the common parent where they clash", () => {
  assert.deepEqual(runNames(["/x/a/run", "/x/b/run", "/x/b/c"]), ["a/run", "b/run", "b/c"]);
  assert.deepEqual(runNames(["/x/one", "/y/two"]), ["one", "two"]);
});

test("examplesGrid: a row per tile, panels in palette colours, sparse labels over grey input", () => {
  const S = 4;
  const C = 2;
  const full = Uint8Array.from({ length: S * S }, (_, i) => i % 3);
  const sparse = Uint8Array.from(full, (v, i) => (i % 5 === 0 ? v : 255));
  const pred = Uint8Array.from(full, (v) => (v + 1) % 3);
  const image = Float32Array.from({ length: C * S * S }, (_, i) => i);
  const row = { image, sparse, full, predictions: [pred, full], label: "tile 3" };
  const buf = examplesGrid([row, row], {
    channels: C,
    size: S,
    rgb: [0, 1, 1],
    modelNames: ["m1", "m2"],
    classes: 3,
    scale: 8,
  });
  const p = decodePng(buf);
  const gap = 8;
  const cell = S * 8;
  assert.equal(p.width, gap + 5 * (cell + gap)); // input, sparse, ground truth, two models
  const pal = classPalette(3);
  const captionH = 10;
  const at = (col: number, y: number, x: number) => {
    const px = gap + col * (cell + gap) + x * 8 + 4;
    const py = gap + captionH + y * 8 + 4;
    return [...p.data.subarray((py * p.width + px) * 3, (py * p.width + px) * 3 + 3)];
  };
  for (let i = 0; i < S * S; i++) {
    const [y, x] = [Math.floor(i / S), i % S];
    assert.deepEqual(at(2, y, x), [...pal[full[i]]], `ground truth pixel ${i}`);
    assert.deepEqual(at(3, y, x), [...pal[pred[i]]], `prediction pixel ${i}`);
    const s = at(1, y, x);
    if (sparse[i] !== 255) assert.deepEqual(s, [...pal[sparse[i]]]);
    else assert.ok(s[0] === s[1] && s[1] === s[2] && s[0] <= 102, `unlabelled pixel ${i} is dim grey`);
  }
  assert.throws(
    () => examplesGrid([row], { channels: C, size: S, rgb: [0, 1, 1], modelNames: ["m1"], classes: 3 }),
    /2 predictions for 1 models/,
  );
});

test("segmentationExamples predicts test tiles with the run's best checkpoint", () => {
  const S = 16;
  const data = join(TMP, "ds");
  writeDataset(
    data,
    {
      kind: "segmentation",
      count: 20,
      channels: 3,
      height: S,
      width: S,
      classes: CLASSES,
      masks: true,
      fullMasks: true,
    },
    (w) => {
      for (let n = 0; n < 20; n++) {
        const full = Uint8Array.from({ length: S * S }, (_, i) => {
          const [y, x] = [Math.floor(i / S), i % S];
          return (x - 8) ** 2 + (y - 8) ** 2 < (n % 6) ** 2 ? 1 : x < n % 4 ? 2 : 0;
        });
        const image = Float32Array.from(
          { length: 3 * S * S },
          (_, i) => full[i % (S * S)] * (1 + (i >> 8)) + ((i * 7) % 5) * 0.1,
        );
        w.append({ image, fullMask: full, mask: Uint8Array.from(full, (v, i) => (i % 9 === 0 ? v : 255)) });
      }
    },
  );
  const ds = openDataset(data);
  const run = join(TMP, "unet-run");
  manualSeed(3);
  const model = new BasicUNet({ inChannels: 3, outChannels: 3, features: [4, 4, 4, 4, 4, 4] });
  model.savePretrained(join(run, "best"));
  writeFileSync(
    join(run, "run.json"),
    JSON.stringify({
      command: "train-unet",
      data,
      classes: CLASSES,
      stats: ds.meta.stats,
      tile: S,
      channels: 3,
    }),
  );
  try {
    const tiles = pickTestTiles(ds, 1);
    assert.equal(tiles.length, 1);
    assert.ok(ds.meta.split.test.includes(tiles[0]));
    const ex = segmentationExamples([{ name: "unet", dir: run }], { data, count: 5 });
    assert.deepEqual(
      ex.tiles,
      [...ds.meta.split.test].sort((a, b) => a - b),
    );
    assert.ok(ex.hasFull);
    // The prediction panel of the first row is the model's argmax on the normalised tile.
    const want = noGrad(() => {
      model.eval();
      const x = normaliseChannels(
        stack([ds.images.select(0, ex.tiles[0])]),
        ds.meta.stats.mean,
        ds.meta.stats.std,
      );
      const out = model.forward(x).argmax(1).to("uint8");
      const a = out.toTypedArray() as Uint8Array;
      x.dispose();
      out.dispose();
      return a;
    });
    const p = decodePng(ex.png);
    const scale = 8; // ceil(128 / 16)
    const gap = 8;
    const cell = S * scale;
    assert.equal(p.width, gap + 4 * (cell + gap));
    const pal = classPalette(3);
    for (let i = 0; i < S * S; i += 7) {
      const px = gap + 3 * (cell + gap) + (i % S) * scale + 3;
      const py = gap + 10 + Math.floor(i / S) * scale + 3;
      assert.deepEqual(
        [...p.data.subarray((py * p.width + px) * 3, (py * p.width + px) * 3 + 3)],
        [...pal[want[i]]],
      );
    }
  } finally {
    model.dispose();
    ds.close();
  }
  // Runs that do not match the dataset are refused by name.
  const bad = join(TMP, "bad-run");
  mkdirSync(bad);
  writeFileSync(
    join(bad, "run.json"),
    JSON.stringify({
      command: "train-unet",
      data,
      classes: CLASSES,
      stats: { mean: [0, 0, 0], std: [1, 1, 1] },
      tile: 32,
      channels: 3,
    }),
  );
  assert.throws(
    () => segmentationExamples([{ name: "bad", dir: bad }], { data, count: 2 }),
    /bad-run: trained on 3 channels, 32 px tiles/,
  );
});

test("collectReport and the report command write a page naming every run", () => {
  const root = join(TMP, "cli");
  fakeRunDir(join(root, "a"), "pretrain");
  fakeRunDir(join(root, "b"), "finetune");
  const input = collectReport([join(root, "a"), join(root, "b")], { examples: 3 });
  assert.equal(input.runs.length, 2);
  assert.match(input.warnings?.[0] ?? "", /names no dataset/);
  assert.throws(() => collectReport([join(root, "zzz")], { examples: 0 }), /zzz: not a directory/);

  const summary = join(root, "summary.json");
  writeFileSync(summary, JSON.stringify({ unet: { accuracy: 0.5, macro_f1: 0.25 }, seconds: 3 }));
  const out = join(root, "out", "report.html");
  const stdout = execFileSync(
    process.execPath,
    [
      join(ROOT, "dist/src/cli/main.js"),
      "report",
      "--runs",
      join(root, "a"),
      join(root, "b"),
      "--out",
      out,
      "--examples",
      "0",
      "--summary",
      summary,
      "--title",
      "CLI test",
    ],
    { encoding: "utf8" },
  );
  assert.match(stdout, /written: .*report\.html/);
  const html = readFileSync(out, "utf8");
  assert.match(html, /<h1>CLI test<\/h1>/);
  assert.match(html, /<th>a<\/th>/);
  assert.match(html, /<th>b<\/th>/);
  assert.deepEqual(rowCells(html, "macro F1"), ["0.25"]);
});
