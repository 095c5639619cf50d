// Pictures of imported labels: each of the first stacks beside itself with its labelled pixels
// painted in class colours, and a picture of the three box rules on a sketched pair of cells.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { BOX_RULES, type PixelShape, shapeLabels } from "../data/box-rules.js";
import { openDataset } from "../data/dataset.js";
import { writeFileAtomic } from "../io/atomic.js";
import { classPalette, falseColour } from "./colours.js";
import { Canvas, type Panel, panelGrid } from "./render.js";

/** The image with labelled pixels painted over it (unlabelled pixels show the image). */
function paint(rgb: Uint8Array, labels: Uint8Array, palette: readonly (readonly number[])[]): Uint8Array {
  const out = rgb.slice();
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 255) out.set(palette[labels[i]], 3 * i);
  return out;
}

/** A legend strip: one swatch and name per class. */
function legend(classes: string[], palette: readonly (readonly number[])[], width: number): Panel {
  const c = new Canvas(width, 12 * classes.length + 4, [255, 255, 255]);
  classes.forEach((name, k) => {
    c.fillRect(2, 2 + 12 * k, 9, 9, palette[k] as [number, number, number]);
    c.text(15, 3 + 12 * k, name);
  });
  return { rgb: c.data, width: c.width, height: c.height, caption: "classes" };
}

/** Writes labels-N.png for the first `count` stacks of a labelled dataset; returns the paths. */
export function writeLabelPreview(datasetDir: string, outDir: string, count = 4): string[] {
  const ds = openDataset(datasetDir);
  try {
    const { channels: C, height: H, width: W, classes } = ds.meta;
    if (!ds.masks) throw new Error(`${datasetDir}: has no labels to preview`);
    const palette = classPalette(classes.length);
    mkdirSync(outDir, { recursive: true });
    const paths: string[] = [];
    for (let i = 0; i < Math.min(count, ds.meta.count); i++) {
      const img = ds.images.select(0, i);
      const msk = ds.masks.select(0, i);
      const pixels = img.toFloat32Array();
      const labels = msk.toTypedArray() as Uint8Array;
      img.dispose();
      msk.dispose();
      const rgb = falseColour(pixels, C, H, W, C >= 3 ? [0, 1, 2] : [0, 0, 0], [0, 100]);
      let n = 0;
      for (const v of labels) if (v !== 255) n++;
      const grid = panelGrid(
        [
          [
            { rgb, width: W, height: H, caption: `stack ${i}` },
            { rgb: paint(rgb, labels, palette), width: W, height: H, caption: `${n} labelled px` },
            legend(classes, palette, 150),
          ],
        ],
        { title: `${datasetDir}: sparse labels` },
      );
      const p = join(outDir, `labels-${i}.png`);
      writeFileAtomic(p, grid.toPng());
      paths.push(p);
    }
    return paths;
  } finally {
    ds.close();
  }
}

/** rules.png: the three box rules on two sketched cells (a large white cell overlapping a red one). */
export function writeRulePicture(outDir: string): string {
  const H = 72;
  const W = 120;
  const shapes: PixelShape[] = [
    { kind: "box", label: 2, x0: 8, y0: 10, x1: 60, y1: 62 },
    { kind: "box", label: 1, x0: 50, y0: 16, x1: 96, y1: 60 },
    { kind: "box", label: 1, x0: 100, y0: 40, x1: 120, y1: 72, truncated: true },
  ];
  const palette: [number, number, number][] = [
    [96, 96, 96],
    [214, 39, 40],
    [148, 103, 189],
  ];
  const panels: Panel[] = BOX_RULES.map((rule) => {
    const labels = shapeLabels(shapes, H, W, 1, { rule, background: 0 });
    const rgb = new Uint8Array(H * W * 3).fill(235);
    for (let i = 0; i < labels.length; i++) if (labels[i] !== 255) rgb.set(palette[labels[i]], 3 * i);
    const c = new Canvas(W, H, [235, 235, 235]);
    c.drawImage(rgb, W, H, 0, 0);
    for (const s of shapes)
      if (s.kind === "box") c.strokeRect(s.x0, s.y0, s.x1 - s.x0, s.y1 - s.y0, [0, 0, 0]);
    return { rgb: c.data, width: W, height: H, caption: `--box-rule ${rule}` };
  });
  mkdirSync(outDir, { recursive: true });
  const p = join(outDir, "rules.png");
  writeFileAtomic(
    p,
    panelGrid([panels], {
      scale: 3,
      title:
        "boxes (black) -> labelled pixels: background dots, red cells, white cell; overlap and the cut box stay unlabelled",
    }).toPng(),
  );
  return p;
}
