// An RGB drawing surface (rectangles, images, text) and a grid of captioned image panels, the
// building blocks of every PNG hemoseg writes (heatmaps, reconstructions, segmentation examples).
import { encodePng } from "../io/png.js";
import type { Rgb } from "./colours.js";
import { drawText, GLYPH_HEIGHT, LINE_HEIGHT, textWidth } from "./font.js";

export class Canvas {
  readonly width: number;
  readonly height: number;
  /** (height, width, 3) row-major RGB. */
  readonly data: Uint8Array;

  constructor(width: number, height: number, background: Rgb = [255, 255, 255]) {
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
      throw new Error(`Canvas: size ${width} x ${height} must be positive integers`);
    }
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  /** Fills [x, x+w) x [y, y+h), clipped to the canvas. */
  fillRect(x: number, y: number, w: number, h: number, colour: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let py = y0; py < y1; py++)
      for (let px = x0; px < x1; px++) this.data.set(colour, (py * this.width + px) * 3);
  }

  /** A rectangle outline of the given thickness, drawn inside [x, x+w) x [y, y+h). */
  strokeRect(x: number, y: number, w: number, h: number, colour: Rgb, thickness = 1): void {
    this.fillRect(x, y, w, thickness, colour);
    this.fillRect(x, y + h - thickness, w, thickness, colour);
    this.fillRect(x, y, thickness, h, colour);
    this.fillRect(x + w - thickness, y, thickness, h, colour);
  }

  /** Copies an RGB image (h, w, 3) with its top-left at (x, y), each pixel a scale x scale block. */
  drawImage(rgb: Uint8Array, w: number, h: number, x: number, y: number, scale = 1): void {
    if (rgb.length !== w * h * 3)
      throw new Error(`Canvas.drawImage: ${rgb.length} bytes is not ${w} x ${h} x 3`);
    for (let py = 0; py < h * scale; py++) {
      const ty = y + py;
      if (ty < 0 || ty >= this.height) continue;
      for (let px = 0; px < w * scale; px++) {
        const tx = x + px;
        if (tx < 0 || tx >= this.width) continue;
        const s = (Math.floor(py / scale) * w + Math.floor(px / scale)) * 3;
        this.data.set(rgb.subarray(s, s + 3), (ty * this.width + tx) * 3);
      }
    }
  }

  /** Text with its cap top-left at (x, y); returns the x after it. */
  text(x: number, y: number, text: string, colour: Rgb = [0, 0, 0], scale = 1): number {
    return drawText(this.data, this.width, this.height, x, y, text, colour, scale);
  }

  /** Text centred on (cx, cy), the middle of its cap height. */
  textCentred(cx: number, cy: number, text: string, colour: Rgb = [0, 0, 0], scale = 1): void {
    this.text(cx - textWidth(text, scale) / 2, cy - (GLYPH_HEIGHT * scale) / 2, text, colour, scale);
  }

  /** The canvas as an 8-bit RGB PNG file. */
  toPng(): Buffer {
    return encodePng({ width: this.width, height: this.height, channels: 3, data: this.data });
  }
}

/** Shortens text with a trailing "." until it fits maxWidth pixels at a scale. */
export function fitText(text: string, maxWidth: number, scale = 1): string {
  if (textWidth(text, scale) <= maxWidth) return text;
  let t = text;
  while (t.length > 0 && textWidth(`${t}.`, scale) > maxWidth) t = t.slice(0, -1);
  return t.length > 0 ? `${t}.` : "";
}

export interface Panel {
  /** (height, width, 3) RGB. */
  rgb: Uint8Array;
  width: number;
  height: number;
  caption?: string;
}

export interface GridOptions {
  /** Pixel magnification of every panel (nearest neighbour). */
  scale?: number;
  /** Pixels between panels and around the grid. */
  gap?: number;
  /** Font scale of captions and title. */
  textScale?: number;
  title?: string;
  background?: Rgb;
}

/** Rows of panels on one canvas, each panel under its caption; panels may differ in size. */
export function panelGrid(rows: Panel[][], o: GridOptions = {}): Canvas {
  const { scale = 1, gap = 6, textScale = 1, title, background = [255, 255, 255] } = o;
  const panels = rows.flat();
  if (panels.length === 0) throw new Error("panelGrid: no panels");
  const cellW = Math.max(...panels.map((p) => p.width * scale));
  const cellH = Math.max(...panels.map((p) => p.height * scale));
  const line = LINE_HEIGHT * textScale;
  const captionH = panels.some((p) => p.caption) ? line : 0;
  const titleH = title ? line + gap : 0;
  const cols = Math.max(...rows.map((r) => r.length));
  const width = gap + cols * (cellW + gap);
  const height = gap + titleH + rows.length * (captionH + cellH + gap);
  const c = new Canvas(width, height, background);
  const ink: Rgb = (background[0] + background[1] + background[2]) / 3 > 128 ? [0, 0, 0] : [255, 255, 255];
  if (title) c.text(gap, gap, fitText(title, width - 2 * gap, textScale), ink, textScale);
  rows.forEach((row, r) => {
    const y = gap + titleH + r * (captionH + cellH + gap);
    row.forEach((p, k) => {
      const x = gap + k * (cellW + gap);
      if (p.caption) c.text(x, y, fitText(p.caption, cellW, textScale), ink, textScale);
      c.drawImage(p.rgb, p.width, p.height, x, y + captionH, scale);
    });
  });
  return c;
}
