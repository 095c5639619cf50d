// The run report as one self-contained HTML page: data in, an HTML string out. Images are inline
// data: URIs, charts inline SVG, CSS inline; the page loads nothing and runs no script, so it opens
// the same from a laptop, a mail attachment or an air-gapped cluster.
import type { ClassificationReport, ClassScores } from "../eval/report.js";
import { classPalette } from "./colours.js";
import { barChart, formatTick, type LineSeries, lineChart } from "./svg-chart.js";

/** A PNG file's bytes, shown with a caption. */
export interface ReportImage {
  png: Uint8Array;
  caption?: string;
}

export interface ReportEvaluation {
  split: string;
  sparse: { report: ClassificationReport; confusion: number[][] };
  full?: { report: ClassificationReport; confusion: number[][] };
}

/** What one run directory holds, read by report-data.ts. */
export interface ReportRun {
  /** Short unique label: table columns and chart legends. */
  name: string;
  dir: string;
  /** "pretrain", "finetune" or "train-unet". */
  command: string;
  /** run.json as written by the run. */
  options: Record<string, unknown>;
  /** metrics.jsonl, one record per epoch. */
  metrics: Record<string, unknown>[];
  /** test.json of a pre-training run. */
  test?: { bestEpoch?: number; bestValLoss?: number; testLoss?: number };
  reconstructions?: { images: ReportImage[]; maskRatio?: number; meanLoss?: number | null; split?: string };
  evaluation?: ReportEvaluation;
  /** Confusion-matrix heatmaps (eval-<split>/confusion-*.png or rendered from evaluation.json). */
  confusionImages?: { sparse?: Uint8Array; full?: Uint8Array };
}

/** Test tiles with each model's prediction, one grid per dataset. */
export interface ExampleGrid {
  title: string;
  png: Uint8Array;
  caption?: string;
  /** Class names in label order, for the colour legend. */
  classes: string[];
}

/** summary.json's per-model figures (DESIGN §8); any other numeric field becomes a row too. */
export interface SummaryEntry {
  accuracy: number;
  macro_f1: number;
  per_class?: Record<string, ClassScores>;
  [k: string]: unknown;
}

export interface SummaryBlock {
  title?: string;
  caption?: string;
  models: Record<string, SummaryEntry>;
}

export interface SweepSection {
  title: string;
  caption?: string;
  /** The same table as markdown, offered for copying. */
  markdownTable?: string;
  rows: Record<string, unknown>[];
  /** Inline SVG charts (e.g. curves with error bars) shown above the table. */
  charts?: string[];
}

export interface ReportInput {
  title?: string;
  /** When the report was made (the caller's clock, so the builder stays pure). */
  generated?: string;
  runs: ReportRun[];
  examples?: ExampleGrid[];
  summaryTable?: SummaryBlock;
  sweeps?: SweepSection[];
  /** Problems met while collecting (a missing dataset, an unreadable file), shown at the top. */
  warnings?: string[];
}

// ---- small helpers -----------------------------------------------------------------------------

export function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const fixed = (v: number, digits = 2) => v.toFixed(digits);

/** Compact display of a number: integers as they are, others to 4 significant digits. */
function compact(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return formatTick(Number(v.toPrecision(4)));
}

/** Width and height from a PNG's IHDR chunk (bytes 16-23), for the <img> size attributes. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  if (png.length < 24 || png[1] !== 0x50 || png[2] !== 0x4e || png[3] !== 0x47) {
    throw new Error("report: an image is not a PNG file");
  }
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

/** An inline PNG shown at 1/shrink of its pixel size (large heatmaps, drawn at font scale 2, show at half). */
function img(png: Uint8Array, alt: string, shrink = 1): string {
  const { width, height } = pngSize(png);
  const b64 = Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString("base64");
  const w = Math.max(1, Math.round(width / shrink));
  const h = Math.max(1, Math.round(height / shrink));
  // Nearest neighbour keeps magnified pixels sharp; a shrunk image is smoothed so thin lines survive.
  return `<img${shrink > 1 ? "" : ' class="px"'} src="data:image/png;base64,${b64}" width="${w}" height="${h}" alt="${esc(alt)}">`;
}

function figure(body: string, caption?: string): string {
  return `<figure>${body}${caption ? `<figcaption>${caption}</figcaption>` : ""}</figure>`;
}

const anchor = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-");
const section = (id: string, title: string, body: string) =>
  `<section id="${id}"><h2>${esc(title)}</h2>\n${body}\n</section>`;

/** Indices of the best value(s) of a row (by rounded display), or none when all tie or one value. */
function bestOf(vals: (number | undefined)[], digits: number, higher = true): Set<number> {
  const shown = vals.map((v) => (v === undefined ? undefined : Number(fixed(v, digits))));
  const present = shown.filter((v): v is number => v !== undefined);
  if (present.length < 2) return new Set();
  const best = higher ? Math.max(...present) : Math.min(...present);
  if (present.every((v) => v === best)) return new Set();
  return new Set(shown.flatMap((v, i) => (v === best ? [i] : [])));
}

const KIND: Record<string, string> = {
  pretrain: "ViTMAE pre-training",
  finetune: "UNETR fine-tuning",
  "train-unet": "U-Net (supervised)",
};
const isSegmentation = (r: ReportRun) => r.command === "finetune" || r.command === "train-unet";

function series(r: ReportRun, key: string, name = r.name): LineSeries {
  return {
    name,
    points: r.metrics.flatMap((m) =>
      isNum(m.epoch) && isNum(m[key]) ? [[m.epoch, m[key]] as [number, number]] : [],
    ),
  };
}

/** The epoch with the lowest validation loss (training loss when there is no validation). */
function bestEpoch(r: ReportRun): { epoch: number; loss: number } | undefined {
  let best: { epoch: number; loss: number } | undefined;
  for (const m of r.metrics) {
    const loss = isNum(m.val_loss) ? m.val_loss : m.train_loss;
    if (isNum(m.epoch) && isNum(loss) && (!best || loss < best.loss)) best = { epoch: m.epoch, loss };
  }
  return best;
}

// ---- sections ------------------------------------------------------------------------------------

function header(input: ReportInput, toc: [string, string][]): string {
  const title = input.title ?? "hemoseg report";
  const runs = input.runs.length;
  const sub = [
    `${runs} run${runs === 1 ? "" : "s"}`,
    input.generated ? `generated ${esc(input.generated)}` : "",
    "made by hemoseg",
  ].filter(Boolean);
  const warn = input.warnings?.length
    ? `<div class="warn"><strong>Notes</strong><ul>${input.warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul></div>`
    : "";
  const nav = toc.length
    ? `<nav>${toc.map(([id, t]) => `<a href="#${id}">${esc(t)}</a>`).join("")}</nav>`
    : "";
  return `<header><h1>${esc(title)}</h1><p class="sub">${sub.join(" · ")}</p>${nav}</header>${warn}`;
}

function overview(runs: ReportRun[]): string {
  const rows = runs.map((r) => {
    const best = bestEpoch(r);
    const epochs = r.metrics.length
      ? Math.max(...r.metrics.map((m) => (isNum(m.epoch) ? m.epoch : 0)))
      : undefined;
    let result = "—";
    if (r.evaluation) {
      const s = r.evaluation.sparse.report;
      result = `accuracy ${fixed(s.accuracy)}, macro F1 ${fixed(s.macro.f1)}`;
      if (r.evaluation.full) result += ` (full masks: ${fixed(r.evaluation.full.report.macro.f1)})`;
    } else if (isNum(r.test?.testLoss)) {
      result = `test loss ${compact(r.test.testLoss)}`;
    }
    const cells = [
      `<th>${esc(r.name)}</th>`,
      `<td>${esc(KIND[r.command] ?? r.command)}</td>`,
      `<td class="n">${epochs ?? "—"}</td>`,
      `<td class="n">${best ? best.epoch : "—"}</td>`,
      `<td class="n">${best ? compact(best.loss) : "—"}</td>`,
      `<td>${result}</td>`,
      `<td class="path">${esc(r.dir)}</td>`,
    ];
    return `<tr>${cells.join("")}</tr>`;
  });
  return `<table class="grid"><thead><tr><th>Run</th><th>What</th><th>Epochs</th><th>Best epoch</th><th>Best val loss</th><th>Test result</th><th>Directory</th></tr></thead><tbody>${rows.join("")}</tbody></table>
<p class="note">Best epoch: lowest validation loss, the checkpoint kept in <code>best/</code> and evaluated. Segmentation results are on the test split, over labelled pixels of the sparse labels unless said otherwise.</p>`;
}

function summarySection(s: SummaryBlock): string {
  const models = Object.keys(s.models);
  const classes: string[] = [];
  for (const m of models)
    for (const c of Object.keys(s.models[m].per_class ?? {})) if (!classes.includes(c)) classes.push(c);
  const extra: string[] = [];
  for (const m of models)
    for (const [k, v] of Object.entries(s.models[m]))
      if (!["accuracy", "macro_f1", "per_class"].includes(k) && isNum(v) && !extra.includes(k)) extra.push(k);
  const rows: { label: string; vals: (number | undefined)[]; rank: boolean; cls?: string }[] = [
    { label: "accuracy", vals: models.map((m) => s.models[m].accuracy), rank: true, cls: "avg" },
    { label: "macro F1", vals: models.map((m) => s.models[m].macro_f1), rank: true, cls: "avg" },
    ...classes.map((c, i) => ({
      label: `F1 ${c}`,
      vals: models.map((m) => s.models[m].per_class?.[c]?.f1),
      rank: true,
      cls: i === 0 ? "first" : undefined,
    })),
    ...extra.map((k, i) => ({
      label: k,
      vals: models.map((m) => s.models[m][k] as number | undefined),
      rank: false,
      cls: i === 0 ? "first" : undefined,
    })),
  ];
  const body = rows.map(({ label, vals, rank, cls }) => {
    const best = rank ? bestOf(vals, 2) : new Set<number>();
    const tds = vals.map((v, i) => {
      const text = v === undefined || !isNum(v) ? "—" : rank ? fixed(v) : compact(v);
      return `<td class="n${best.has(i) ? " best" : ""}">${text}</td>`;
    });
    return `<tr${cls ? ` class="${cls}"` : ""}><th>${esc(label)}</th>${tds.join("")}</tr>`;
  });
  const table = `<table class="grid"><thead><tr><th></th>${models.map((m) => `<th class="n">${esc(m)}</th>`).join("")}</tr></thead><tbody>${body.join("")}</tbody></table>`;
  return `${s.caption ? `<p>${esc(s.caption)}</p>` : ""}${table}<p class="note">Best value of each score row in bold.</p>`;
}

/** Per-class precision, recall, F1 (and support) per model, like the paper's Tables 7-8. */
export function reportTable(
  reports: { name: string; report: ClassificationReport }[],
  caption: string,
): string {
  const classes: string[] = [];
  for (const { report } of reports)
    for (const c of Object.keys(report.perClass)) if (!classes.includes(c)) classes.push(c);
  const supportOf = (c: string) => reports.map(({ report }) => report.perClass[c]?.support);
  // One support column when every model was scored on the same pixels, one per model otherwise.
  const shared = [...classes.map(supportOf), reports.map(({ report }) => report.macro.support)].every((s) =>
    s.every((v) => v === s[0]),
  );
  const metrics = ["precision", "recall", "f1"] as const;
  const head1 = [
    `<th rowspan="2">Class</th>`,
    shared ? `<th rowspan="2" class="n">Support</th>` : "",
    ...reports.map(({ name }) => `<th colspan="${shared ? 3 : 4}" class="model">${esc(name)}</th>`),
  ];
  const head2 = reports.flatMap(() => [
    `<th class="n">Precision</th>`,
    `<th class="n">Recall</th>`,
    `<th class="n">F1</th>`,
    ...(shared ? [] : [`<th class="n">Support</th>`]),
  ]);
  const row = (
    label: string,
    scores: (ClassScores | undefined)[],
    cls: string,
    support: (number | undefined)[],
  ): string => {
    const best = metrics.map((k) =>
      bestOf(
        scores.map((s) => s?.[k]),
        2,
      ),
    );
    const cells = scores.flatMap((s, i) => [
      ...metrics.map(
        (k, j) =>
          `<td class="n${j === 0 ? " sep" : ""}${best[j].has(i) ? " best" : ""}">${s ? fixed(s[k]) : "—"}</td>`,
      ),
      ...(shared ? [] : [`<td class="n muted">${support[i] ?? "—"}</td>`]),
    ]);
    const sup = shared ? `<td class="n muted">${support[0] ?? "—"}</td>` : "";
    return `<tr class="${cls}"><th>${esc(label)}</th>${sup}${cells.join("")}</tr>`;
  };
  const body = classes.map((c) => {
    const sup = supportOf(c);
    const empty = sup.every((v) => !v);
    return row(
      c,
      reports.map(({ report }) => report.perClass[c]),
      empty ? "empty" : "",
      sup,
    );
  });
  // Accuracy sits in the F1 column, as scikit-learn prints it.
  const acc = reports.map(({ report }) => report.accuracy);
  const accBest = bestOf(acc, 2);
  const accCells = acc.flatMap((a, i) => [
    `<td class="sep"></td><td></td><td class="n${accBest.has(i) ? " best" : ""}">${fixed(a)}</td>`,
    shared ? "" : `<td class="n muted">${reports[i].report.macro.support}</td>`,
  ]);
  const total = reports.map(({ report }) => report.macro.support);
  body.push(
    `<tr class="avg first"><th>accuracy</th>${shared ? `<td class="n muted">${total[0]}</td>` : ""}${accCells.join("")}</tr>`,
  );
  body.push(
    row(
      "macro avg",
      reports.map(({ report }) => report.macro),
      "avg",
      total,
    ),
  );
  body.push(
    row(
      "weighted avg",
      reports.map(({ report }) => report.weighted),
      "avg",
      total,
    ),
  );
  return figure(
    `<table class="grid report"><thead><tr>${head1.join("")}</tr><tr>${head2.join("")}</tr></thead><tbody>${body.join("")}</tbody></table>`,
    caption,
  );
}

function segmentationSection(runs: ReportRun[]): string {
  const evaluated = runs.filter((r) => r.evaluation);
  const parts: string[] = [];
  for (const kind of ["sparse", "full"] as const) {
    const reports = evaluated.flatMap((r) => {
      const part = r.evaluation![kind];
      return part ? [{ name: r.name, report: part.report }] : [];
    });
    if (reports.length === 0) continue;
    const split = evaluated[0].evaluation!.split;
    const what =
      kind === "sparse"
        ? "on the sparse labels (the annotated pixels only, the paper's protocol)"
        : "on the full ground-truth masks (every pixel)";
    parts.push(`<h3>${kind === "sparse" ? "Sparse labels" : "Full masks"}</h3>`);
    parts.push(
      reportTable(
        reports,
        `Classification report ${what}, ${esc(split)} split. Best precision, recall and F1 of each row in bold; greyed rows have no support.`,
      ),
    );
    const classes = Object.keys(reports[0].report.perClass);
    const bars = barChart(
      {
        categories: [...classes, "macro avg"],
        series: reports.map(({ name, report }) => ({
          name,
          values: [...classes.map((c) => report.perClass[c]?.f1 ?? Number.NaN), report.macro.f1],
        })),
      },
      { yLabel: "F1", yMax: 1, width: 860, height: 340 },
    );
    parts.push(
      figure(bars, `F1 per class ${kind === "sparse" ? "on the sparse labels" : "on the full masks"}.`),
    );
  }
  const heatmaps = evaluated.flatMap((r) =>
    (["sparse", "full"] as const).flatMap((k) => {
      const png = r.confusionImages?.[k];
      return png
        ? [
            figure(
              img(png, `${r.name} confusion ${k}`, pngSize(png).width > 640 ? 2 : 1),
              `${esc(r.name)} — ${k === "sparse" ? "sparse labels" : "full masks"}`,
            ),
          ]
        : [];
    }),
  );
  if (heatmaps.length) {
    parts.push("<h3>Confusion matrices</h3>");
    parts.push(`<div class="row">${heatmaps.join("")}</div>`);
    parts.push(
      `<p class="note">Rows: true class, columns: predicted class; each cell is its share of the row (recall view), support on the right.</p>`,
    );
  }
  return parts.join("\n");
}

function legend(classes: string[]): string {
  const pal = classPalette(classes.length);
  const items = classes.map(
    (c, i) => `<span class="sw"><i style="background:rgb(${pal[i].join(",")})"></i>${i} ${esc(c)}</span>`,
  );
  items.push(`<span class="sw"><i style="background:#000"></i>unlabelled</span>`);
  return `<div class="legend">${items.join("")}</div>`;
}

function examplesSection(grids: ExampleGrid[]): string {
  return grids
    .map(
      (g) =>
        `<h3>${esc(g.title)}</h3>${legend(g.classes)}${figure(img(g.png, g.title), g.caption ? esc(g.caption) : undefined)}`,
    )
    .join("\n");
}

function reconstructionSection(runs: ReportRun[]): string {
  return runs
    .filter((r) => r.reconstructions?.images.length)
    .map((r) => {
      const rc = r.reconstructions!;
      const facts = [
        isNum(rc.maskRatio) ? `mask ratio ${rc.maskRatio}` : "",
        rc.split ? `${esc(rc.split)} split` : "",
        isNum(rc.meanLoss) ? `mean loss ${compact(rc.meanLoss)}` : "",
      ].filter(Boolean);
      const figs = rc.images.map((im) =>
        figure(img(im.png, `${r.name} reconstruction`), im.caption ? esc(im.caption) : undefined),
      );
      return `<h3>${esc(r.name)}</h3>${facts.length ? `<p class="note">${facts.join(" · ")}. Columns: original, removed patches greyed, reconstruction, reconstruction with the visible patches pasted back.</p>` : ""}<div class="row">${figs.join("")}</div>`;
    })
    .join("\n");
}

function curvesSection(runs: ReportRun[]): string {
  const charts: string[] = [];
  for (const r of runs) {
    const s = [series(r, "train_loss", "train"), series(r, "val_loss", "validation")].filter(
      (x) => x.points.length,
    );
    if (!s.length) continue;
    const lossName = r.command === "pretrain" ? "MAE loss" : "cross entropy";
    charts.push(
      figure(
        lineChart(s, { title: r.name, xLabel: "epoch", yLabel: lossName, width: 560, height: 300 }),
        `${esc(r.name)}: ${lossName} per epoch.`,
      ),
    );
  }
  const f1 = runs
    .filter(isSegmentation)
    .map((r) => series(r, "val_macro_f1"))
    .filter((x) => x.points.length);
  if (f1.length) {
    charts.push(
      figure(
        lineChart(f1, {
          title: "Validation macro F1",
          xLabel: "epoch",
          yLabel: "macro F1",
          width: 560,
          height: 300,
        }),
        "Macro F1 on the validation split's sparse labels after each epoch.",
      ),
    );
  }
  // Segmentation runs first, so each keeps the colour it has in the F1 charts.
  const ordered = [...runs.filter(isSegmentation), ...runs.filter((r) => !isSegmentation(r))];
  const speed = ordered.map((r) => series(r, "images_per_s")).filter((x) => x.points.length);
  if (speed.length) {
    const ys = speed.flatMap((x) => x.points.map((p) => p[1])).filter((v) => v > 0);
    const logY = ys.length > 0 && Math.max(...ys) / Math.min(...ys) > 20;
    charts.push(
      figure(
        lineChart(speed, {
          title: "Training throughput",
          xLabel: "epoch",
          yLabel: "images / s",
          logY,
          width: 560,
          height: 300,
        }),
        `Training images (tiles) per second, per epoch${logY ? " (log scale)" : ""}.`,
      ),
    );
  }
  return charts.length ? `<div class="row charts">${charts.join("")}</div>` : "";
}

// run.json keys shown below the table rather than in it.
const HIDDEN = new Set(["command", "classes", "stats", "modelConfig"]);

function configValue(v: unknown): string | undefined {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return compact(v);
  if (typeof v === "boolean" || typeof v === "string") return esc(String(v));
  if (Array.isArray(v) && v.length <= 8 && v.every((x) => typeof x !== "object" || x === null))
    return v.map((x) => (typeof x === "number" ? compact(x) : esc(String(x)))).join(", ");
  return undefined; // too long for a cell: shown as JSON below the table
}

/** All runs' options in one table, a column per run; rows whose values differ are marked. */
function configSection(runs: ReportRun[]): string {
  const keys: string[] = [];
  for (const r of runs)
    for (const k of Object.keys(r.options)) if (!HIDDEN.has(k) && !keys.includes(k)) keys.push(k);
  const long: string[] = [];
  const rows = keys.map((k) => {
    const shown = runs.map((r) => (k in r.options ? configValue(r.options[k]) : "—"));
    runs.forEach((r, i) => {
      if (shown[i] === undefined) {
        long.push(
          `<details><summary>${esc(r.name)}: ${esc(k)}</summary><pre>${esc(JSON.stringify(r.options[k], null, 1))}</pre></details>`,
        );
      }
    });
    const cells = shown.map((v) => v ?? "(below)");
    const differs = runs.length > 1 && cells.some((v) => v !== cells[0]);
    return `<tr${differs ? ' class="differs"' : ""}><th>${esc(k)}</th>${cells.map((v) => `<td>${v}</td>`).join("")}</tr>`;
  });
  const extras = runs.flatMap((r) =>
    ["stats", "modelConfig"].flatMap((k) =>
      r.options[k] === undefined
        ? []
        : [
            `<details><summary>${esc(r.name)}: ${esc(k)}</summary><pre>${esc(JSON.stringify(r.options[k], null, 1))}</pre></details>`,
          ],
    ),
  );
  // Class lists, once per distinct list.
  const byList = new Map<string, string[]>();
  for (const r of runs) {
    if (!Array.isArray(r.options.classes)) continue;
    const list = (r.options.classes as unknown[]).map((c, i) => `${i} ${esc(String(c))}`).join(", ");
    byList.set(list, [...(byList.get(list) ?? []), esc(r.name)]);
  }
  const classes = [...byList].map(
    ([list, names]) => `<li><strong>${names.join(", ")}</strong>: ${list}</li>`,
  );
  const head = `<tr><th>option</th>${runs.map((r) => `<th>${esc(r.name)}<br><span class="muted">${esc(KIND[r.command] ?? r.command)}</span></th>`).join("")}</tr>`;
  return `<table class="grid config"><thead>${head}</thead><tbody>${rows.join("")}</tbody></table>
<p class="note">The options each run was started with (its run.json); rows where the runs differ are marked.${classes.length ? " Classes:" : ""}</p>${classes.length ? `<ul class="note">${classes.join("")}</ul>` : ""}${[...long, ...extras].join("")}`;
}

function cellText(v: unknown): string {
  if (isNum(v)) return compact(v);
  if (v === null || v === undefined) return "—";
  return esc(typeof v === "object" ? JSON.stringify(v) : String(v));
}

function sweepSection(s: SweepSection): string {
  const cols: string[] = [];
  for (const r of s.rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  // Bold the best of the columns whose direction is known: scores up, losses and times down.
  const dir = (c: string) => (/f1|acc/i.test(c) ? 1 : /loss|seconds|time|_s$/i.test(c) ? -1 : 0);
  const best = cols.map((c) => {
    const vals = s.rows.map((r) => (isNum(r[c]) ? (r[c] as number) : undefined));
    return dir(c) === 0 ? new Set<number>() : bestOf(vals, 4, dir(c) > 0);
  });
  const body = s.rows.map(
    (r, i) =>
      `<tr>${cols.map((c, j) => `<td class="${isNum(r[c]) ? "n" : ""}${best[j].has(i) ? " best" : ""}">${cellText(r[c])}</td>`).join("")}</tr>`,
  );
  const numeric = cols.map((c) => s.rows.every((r) => r[c] === undefined || r[c] === null || isNum(r[c])));
  const table = `<table class="grid"><thead><tr>${cols.map((c, j) => `<th${numeric[j] ? ' class="n"' : ""}>${esc(c)}</th>`).join("")}</tr></thead><tbody>${body.join("")}</tbody></table>`;
  const md = s.markdownTable
    ? `<details><summary>as markdown</summary><pre>${esc(s.markdownTable)}</pre></details>`
    : "";
  const charts = (s.charts ?? []).map((c) => figure(c)).join("");
  return `<h3>${esc(s.title)}</h3>${s.caption ? `<p>${esc(s.caption)}</p>` : ""}${charts}${table}${md}`;
}

const CSS = `
:root{--ink:#1d2329;--muted:#66707a;--rule:#d5dae0;--band:#f4f6f8;--accent:#2b5d8a;--best:#e3eefa}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;font:14px/1.45 "DejaVu Sans","Helvetica Neue",Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:0 28px 48px}
header{border-bottom:2px solid var(--ink);padding:22px 0 10px;margin-bottom:8px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:34px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--rule);color:var(--accent)}
h3{font-size:15px;margin:22px 0 8px}
.sub{color:var(--muted);margin:0 0 8px}
nav a{color:var(--accent);text-decoration:none;margin-right:16px;font-size:13px}
.warn{background:#fff7e0;border:1px solid #e8c872;padding:8px 14px;margin:12px 0;font-size:13px}
.warn ul{margin:4px 0;padding-left:18px}
table{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}
table.grid th,table.grid td{padding:3px 9px;border-bottom:1px solid var(--rule);text-align:left;vertical-align:top}
table.grid thead th{border-bottom:1.5px solid var(--ink);font-weight:600;white-space:nowrap}
table.grid tbody th{font-weight:500;white-space:nowrap}
table.grid tbody tr:nth-child(even){background:var(--band)}
table.grid .n{text-align:right}
td.sep{border-left:1px solid var(--rule)}
th.model{text-align:center;border-left:1px solid var(--rule)}
td.best{font-weight:700;background:var(--best)}
td.path{color:var(--muted);font-family:"DejaVu Sans Mono",monospace;font-size:12px}
tr.empty th,tr.empty td{color:#aab1b8}
tr.first th,tr.first td{border-top:1.5px solid var(--ink)}
tr.avg th{font-weight:600}
table.config td{font-family:"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
table.config tbody th{color:var(--muted);font-weight:500}
table.config tr.differs th{color:var(--ink);font-weight:600;box-shadow:inset 3px 0 var(--accent)}
table.config tr.differs td{background:#fbf6e6}
.muted{color:var(--muted);font-weight:400}
ul.note{margin:0 0 8px;padding-left:20px}
figure{margin:10px 0 16px;max-width:100%}
figure>svg,figure>img,figure>table{display:block;max-width:100%}
figcaption{color:var(--muted);font-size:12.5px;margin-top:5px;max-width:860px}
img{height:auto;border:1px solid var(--rule)}
img.px{image-rendering:pixelated}
.row{display:flex;flex-wrap:wrap;gap:8px 28px;align-items:flex-start}
.charts figure{margin:4px 0}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12.5px;margin:4px 0 6px}
.sw i{display:inline-block;width:13px;height:13px;margin-right:5px;vertical-align:-2px;border:1px solid #0003}
.note{color:var(--muted);font-size:12.5px;margin:6px 0}
details{margin:4px 0}
summary{cursor:pointer;color:var(--accent);font-size:13px}
pre{background:var(--band);padding:8px 10px;font-size:12px;overflow:auto;max-height:320px}
code{font-family:"DejaVu Sans Mono",monospace;font-size:12px}
footer{margin-top:40px;color:var(--muted);font-size:12px;border-top:1px solid var(--rule);padding-top:8px}
`;

/** The whole report page. */
export function buildReport(input: ReportInput): string {
  const runs = input.runs;
  const sections: [string, string, string][] = [];
  const add = (title: string, body: string) => {
    if (body.trim()) sections.push([anchor(title), title, body]);
  };
  if (runs.length) add("Runs", overview(runs));
  if (input.summaryTable) add(input.summaryTable.title ?? "Summary", summarySection(input.summaryTable));
  add("Segmentation results", segmentationSection(runs));
  if (input.examples?.length) add("Segmentation examples", examplesSection(input.examples));
  add("MAE reconstructions", reconstructionSection(runs));
  add("Training curves", curvesSection(runs));
  if (input.sweeps?.length) add("Sweeps", input.sweeps.map(sweepSection).join("\n"));
  if (runs.length) add("Configurations", configSection(runs));
  const title = input.title ?? "hemoseg report";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${header(
  input,
  sections.map(([id, t]) => [id, t]),
)}
${sections.map(([id, t, body]) => section(id, t, body)).join("\n")}
<footer>Self-contained page: every image and chart is inline; it loads nothing from the network.</footer>
</main>
</body>
</html>
`;
}
