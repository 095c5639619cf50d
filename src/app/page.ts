// The app's index.html and app.css.
import { META_CSP } from "./csp.js";

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export function indexHtml(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${META_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hemoseg · ${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="app.css">
<script defer src="vendor/pako_inflate.min.js"></script>
<script defer src="vendor/UPNG.js"></script>
<script defer src="vendor/UTIF.js"></script>
<script type="module" src="js/app/web/main.js"></script>
</head>
<body data-state="loading">
<header>
<h1>hemoseg</h1>
<span id="run">${escapeHtml(title)}</span>
<span id="backend" class="badge"></span>
</header>
<p id="no-server" class="notice">The app has not started. Browsers do not run it from a file:// URL:
serve its folder with <code>hemoseg app --run RUN --out THIS_FOLDER --serve</code> and open the address it prints.</p>
<section id="controls">
<label class="button">Open image (PNG, TIFF, JPEG)
<input type="file" id="file" accept=".png,.tif,.tiff,.jpg,.jpeg,image/png,image/tiff,image/jpeg"></label>
<span id="progress-box"><progress id="progress" max="1" value="0"></progress> <span id="status">Loading…</span></span>
<p id="error" role="alert" hidden></p>
</section>
<main>
<aside>
<h2>Classes</h2>
<table id="legend">
<thead><tr><th>show</th><th></th><th>class</th><th>predicted px</th><th>painted px</th><th>brush</th></tr></thead>
<tbody id="legend-rows"></tbody>
</table>
<label>Overlay opacity <input type="range" id="opacity" min="0" max="1" step="0.05" value="0.5"></label>
<label>Zoom <select id="zoom"><option value="0.5">50%</option><option value="1" selected>100%</option>
<option value="2">200%</option><option value="4">400%</option></select></label>
<h2>Paint sparse labels</h2>
<p class="hint">Pick a class's brush above and paint on the image; the prediction is your guide.</p>
<label><input type="radio" name="brush" id="eraser" value="255"> eraser</label>
<label>Brush size <input type="range" id="brush-size" min="1" max="64" value="8">
<output id="brush-size-value">8</output> px</label>
<p><button id="undo" type="button" disabled>Undo</button>
<button id="save" type="button" disabled>Save mask PNG</button></p>
<p class="hint">The mask holds the class per painted pixel and 255 elsewhere; <code>hemoseg import</code> takes it as it is.</p>
</aside>
<div id="stage"><canvas id="image"></canvas><canvas id="overlay"></canvas><canvas id="strokes"></canvas></div>
</main>
</body>
</html>
`;
}

export const APP_CSS = `:root { font: 14px/1.4 system-ui, sans-serif; color: #222; background: #f6f6f4; }
body { margin: 0 16px 16px; }
header { display: flex; align-items: baseline; gap: 12px; }
h1 { font-size: 20px; margin: 12px 0; }
h2 { font-size: 15px; margin: 16px 0 6px; }
#run { color: #555; }
.badge { font-size: 11px; padding: 1px 6px; border-radius: 8px; background: #dde8f3; }
.badge:empty { display: none; }
.notice { background: #fff3cd; border: 1px solid #e0c36a; padding: 8px; }
#controls { display: flex; flex-wrap: wrap; align-items: center; gap: 16px; margin-bottom: 8px; }
.button { background: #2d6cb5; color: #fff; padding: 6px 12px; border-radius: 4px; cursor: pointer; }
.button input { display: none; }
#progress { width: 200px; vertical-align: middle; }
#error { flex-basis: 100%; margin: 0; padding: 8px; background: #fde2e1; border: 1px solid #d9534f; color: #8a1f1b; font-weight: 600; }
main { display: flex; gap: 16px; align-items: flex-start; }
aside { flex: 0 0 auto; max-width: 480px; }
aside label { display: block; margin: 4px 0; }
table { border-collapse: collapse; }
th, td { padding: 2px 6px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: 14px; height: 14px; border: 1px solid #0003; vertical-align: middle; }
.hint { color: #555; font-size: 12px; }
#stage { position: relative; overflow: auto; max-width: 100%; }
#stage canvas { display: block; image-rendering: pixelated; }
#stage canvas + canvas { position: absolute; left: 0; top: 0; }
#strokes { cursor: crosshair; touch-action: none; }
`;
