// The app page: open an image, segment it in the browser, show the overlay, paint sparse labels
// and save them as a mask PNG for `hemoseg import`. Also exposes its state as `hemosegApp` for
// automation (the browser test reads the label map from it).
import { type AppConfig, UNLABELLED } from "./config.js";
import { decodeFile, type Stack } from "./decode.js";
import { byId, el, putPixels } from "./dom.js";
import { maskPng } from "./mask-png.js";
import { Strokes } from "./paint.js";
import { loadModel, type Model, refusal, segment } from "./segment.js";
import { classCounts, falseColour, labelColours } from "./view.js";

interface AppState {
  state: "loading" | "ready" | "opening" | "segmenting" | "segmented" | "refused" | "error";
  backend?: string;
  error?: string;
  labels?: Uint8Array;
  segmentMs?: number;
  file?: string;
}

const api: AppState = { state: "loading" };
(globalThis as { hemosegApp?: AppState }).hemosegApp = api;

const ui = {
  file: byId<HTMLInputElement>("file"),
  progress: byId<HTMLProgressElement>("progress"),
  status: byId("status"),
  error: byId("error"),
  legend: byId<HTMLTableSectionElement>("legend-rows"),
  opacity: byId<HTMLInputElement>("opacity"),
  zoom: byId<HTMLSelectElement>("zoom"),
  brushSize: byId<HTMLInputElement>("brush-size"),
  brushSizeValue: byId<HTMLOutputElement>("brush-size-value"),
  undo: byId<HTMLButtonElement>("undo"),
  save: byId<HTMLButtonElement>("save"),
  image: byId<HTMLCanvasElement>("image"),
  overlay: byId<HTMLCanvasElement>("overlay"),
  strokes: byId<HTMLCanvasElement>("strokes"),
};

function setState(s: AppState["state"]): void {
  api.state = s;
  document.body.dataset.state = s;
}

function progress(fraction: number, text: string): void {
  ui.progress.value = fraction;
  ui.status.textContent = text;
}

function showError(message: string | null): void {
  ui.error.hidden = message === null;
  ui.error.textContent = message ?? "";
  api.error = message ?? undefined;
}

let cfg: AppConfig;
let modelPromise: Promise<Model>;
let labels: Uint8Array | null = null;
let strokes: Strokes | null = null;
let visible: boolean[] = [];
let brush = 0;
let overlayRgba: Uint8ClampedArray<ArrayBuffer> | null = null;
let strokesRgba: Uint8ClampedArray<ArrayBuffer> | null = null;
const colours = () => cfg.classes.map((c) => c.colour);

function buildLegend(): void {
  ui.legend.replaceChildren(
    ...cfg.classes.map((c) => {
      const show = el("input", { type: "checkbox", checked: true, title: `show ${c.name}` });
      show.dataset.class = String(c.index);
      show.addEventListener("change", () => {
        visible[c.index] = show.checked;
        drawOverlay();
      });
      const pick = el("input", {
        type: "radio",
        name: "brush",
        value: String(c.index),
        checked: c.index === brush,
      });
      pick.addEventListener("change", () => {
        brush = c.index;
      });
      const swatch = el("span", { className: "swatch" });
      swatch.style.background = `rgb(${c.colour.join(",")})`;
      const row = el(
        "tr",
        {},
        el("td", {}, show),
        el("td", {}, swatch),
        el("td", {}, `${c.index} ${c.name}`),
        el("td", { className: "num predicted" }, "–"),
        el("td", { className: "num painted" }, "0"),
        el("td", {}, pick),
      );
      row.dataset.class = String(c.index);
      return row;
    }),
  );
}

function updateCounts(): void {
  const K = cfg.classes.length;
  const predicted = labels ? classCounts(labels, K) : null;
  const painted = strokes ? strokes.counts(K) : new Array<number>(K).fill(0);
  ui.legend.querySelectorAll("tr").forEach((row, k) => {
    row.querySelector(".predicted")!.textContent = predicted ? predicted[k].toLocaleString("en") : "–";
    row.querySelector(".painted")!.textContent = painted[k].toLocaleString("en");
  });
  ui.undo.disabled = !strokes?.canUndo;
}

function drawOverlay(): void {
  if (!labels) return;
  overlayRgba = labelColours(labels, colours(), visible, overlayRgba ?? undefined);
  putPixels(ui.overlay, overlayRgba);
}

function drawStrokes(changed?: number[]): void {
  if (!strokes) return;
  const all = cfg.classes.map(() => true);
  strokesRgba = labelColours(strokes.mask, colours(), all, strokesRgba ?? undefined, changed);
  putPixels(ui.strokes, strokesRgba, changed);
}

/** Displays the canvases at the chosen zoom (painting maps pointer positions back to pixels). */
function applyZoom(): void {
  const z = Number(ui.zoom.value);
  for (const c of [ui.image, ui.overlay, ui.strokes]) {
    c.style.width = `${c.width * z}px`;
    c.style.height = `${c.height * z}px`;
  }
}

function resetCanvases(s: Stack): void {
  for (const c of [ui.image, ui.overlay, ui.strokes]) {
    c.width = s.W;
    c.height = s.H;
    c.getContext("2d")!.clearRect(0, 0, s.W, s.H);
  }
  applyZoom();
  putPixels(ui.image, falseColour(s, cfg.rgb));
  overlayRgba = null;
  strokesRgba = null;
}

async function openFile(file: File): Promise<void> {
  showError(null);
  api.file = file.name;
  setState("opening");
  try {
    const s = await decodeFile(file);
    const why = refusal(s, cfg, file.name);
    if (why) {
      setState("refused");
      showError(why);
      return;
    }
    labels = null;
    api.labels = undefined;
    strokes = new Strokes(s.W, s.H);
    resetCanvases(s);
    updateCounts();
    ui.save.disabled = false;
    setState("segmenting");
    ui.file.disabled = true; // one segmentation at a time
    const model = await modelPromise;
    const t0 = performance.now();
    labels = await segment(model, cfg, s, progress);
    api.segmentMs = performance.now() - t0;
    api.labels = labels;
    progress(1, `Segmented ${s.H} x ${s.W} in ${(api.segmentMs / 1000).toFixed(2)} s (${model.backend})`);
    drawOverlay();
    updateCounts();
    setState("segmented");
  } catch (e) {
    setState("error");
    showError((e as Error).message);
  } finally {
    ui.file.disabled = false;
  }
}

/** Pointer position in image pixels. */
function toImage(ev: PointerEvent): { x: number; y: number } {
  const r = ui.strokes.getBoundingClientRect();
  return {
    x: ((ev.clientX - r.left) * ui.strokes.width) / r.width,
    y: ((ev.clientY - r.top) * ui.strokes.height) / r.height,
  };
}

function wirePainting(): void {
  let painting = false;
  ui.strokes.addEventListener("pointerdown", (ev) => {
    if (!strokes || ev.button !== 0) return;
    painting = true;
    ui.strokes.setPointerCapture(ev.pointerId);
    drawStrokes(strokes.begin(toImage(ev), brush, Number(ui.brushSize.value) / 2));
  });
  ui.strokes.addEventListener("pointermove", (ev) => {
    if (painting && strokes) drawStrokes(strokes.extend(toImage(ev)));
  });
  const stop = () => {
    if (!painting || !strokes) return;
    painting = false;
    strokes.end();
    updateCounts();
  };
  ui.strokes.addEventListener("pointerup", stop);
  ui.strokes.addEventListener("pointercancel", stop);
  const undo = () => {
    if (!strokes) return;
    drawStrokes(strokes.undo());
    updateCounts();
  };
  ui.undo.addEventListener("click", undo);
  document.addEventListener("keydown", (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "z") {
      ev.preventDefault();
      undo();
    }
  });
  for (const r of document.querySelectorAll<HTMLInputElement>("input[name=brush]"))
    r.addEventListener("change", () => {
      brush = Number(r.value);
    });
  ui.brushSize.addEventListener("input", () => {
    ui.brushSizeValue.value = ui.brushSize.value;
  });
  ui.save.addEventListener("click", async () => {
    if (!strokes || !api.file) return;
    const stem = api.file.replace(/\.[^.]*$/, "");
    const png = await maskPng(strokes.mask, strokes.W, strokes.H);
    const a = el("a", { href: URL.createObjectURL(png), download: `${stem}_mask.png` });
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  });
}

async function start(): Promise<void> {
  byId("no-server").hidden = true;
  try {
    const res = await fetch("app.json");
    if (!res.ok) throw new Error(`app.json: ${res.status} ${res.statusText}`);
    cfg = (await res.json()) as AppConfig;
  } catch (e) {
    setState("error");
    showError(`The app's settings could not be read: ${(e as Error).message}`);
    return;
  }
  visible = cfg.classes.map(() => true);
  brush = cfg.classes.length > 1 ? 1 : 0;
  byId("run").textContent =
    `${cfg.architecture} · ${cfg.channels} channels · ${cfg.tile} px tiles · run ${cfg.run}`;
  buildLegend();
  byId<HTMLInputElement>("eraser").value = String(UNLABELLED);
  wirePainting();
  ui.opacity.addEventListener("input", () => {
    ui.overlay.style.opacity = ui.opacity.value;
  });
  ui.overlay.style.opacity = ui.opacity.value;
  ui.zoom.addEventListener("change", applyZoom);
  ui.file.addEventListener("change", () => {
    const f = ui.file.files?.[0];
    if (f) void openFile(f);
  });
  modelPromise = loadModel(cfg, progress);
  try {
    const model = await modelPromise;
    api.backend = model.backend;
    byId("backend").textContent = model.backend.toUpperCase();
    if (api.state === "loading") {
      setState("ready");
      progress(1, "Model ready: open an image");
    }
  } catch (e) {
    setState("error");
    showError((e as Error).message);
  }
}

void start();
