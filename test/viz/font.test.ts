import assert from "node:assert/strict";
import { test } from "node:test";
import { drawText, FONT_CHARS, GLYPH_WIDTH, LINE_HEIGHT, textWidth } from "../../src/viz/font.js";

/** Bounding box of pixels that are not background (0) in an RGB image. */
function inkBox(rgb: Uint8Array, W: number): { x0: number; x1: number; y0: number; y1: number; n: number } {
  const b = { x0: Infinity, x1: -1, y0: Infinity, y1: -1, n: 0 };
  for (let i = 0; i < rgb.length / 3; i++) {
    if (rgb[i * 3] === 0) continue;
    const x = i % W;
    const y = Math.floor(i / W);
    b.x0 = Math.min(b.x0, x);
    b.x1 = Math.max(b.x1, x);
    b.y0 = Math.min(b.y0, y);
    b.y1 = Math.max(b.y1, y);
    b.n++;
  }
  return b;
}

test("the font covers digits, letters and the punctuation labels need", () => {
  for (const ch of "0123456789abcxyzABCXYZ.-%: ()/_")
    assert.ok(FONT_CHARS.includes(ch), `has ${JSON.stringify(ch)}`);
});

test("every glyph inks inside its 5-wide cell, within the line height, and only space is blank", () => {
  const W = 8;
  const H = LINE_HEIGHT + 2;
  const shapes = new Set<string>();
  for (const ch of FONT_CHARS) {
    const rgb = new Uint8Array(W * H * 3);
    const end = drawText(rgb, W, H, 1, 1, ch, [255, 255, 255]);
    assert.equal(end, 1 + GLYPH_WIDTH);
    const b = inkBox(rgb, W);
    if (ch === " ") {
      assert.equal(b.n, 0, "space is blank");
      continue;
    }
    assert.ok(b.n > 0, `${ch} has ink`);
    assert.ok(b.x0 >= 1 && b.x1 <= GLYPH_WIDTH, `${ch} stays in its 5 columns`);
    assert.ok(b.y0 >= 1 && b.y1 <= LINE_HEIGHT - 1, `${ch} stays within the line`);
    shapes.add(rgb.join());
  }
  assert.equal(shapes.size, FONT_CHARS.length - 1, "no two glyphs look the same");
});

test("drawText scales, clips at the edges and draws unknown characters as '?'", () => {
  assert.equal(textWidth("ab"), 11);
  assert.equal(textWidth("ab", 3), 33);
  assert.equal(textWidth(""), 0);
  const W = 40;
  const H = 30;
  const one = new Uint8Array(W * H * 3);
  drawText(one, W, H, 2, 3, "E", [255, 0, 0]);
  const three = new Uint8Array(W * H * 3);
  drawText(three, W, H, 2, 3, "E", [255, 0, 0], 3);
  assert.equal(inkBox(three, W).n, 9 * inkBox(one, W).n, "each font pixel becomes a 3x3 block");
  assert.deepEqual(inkBox(three, W), { x0: 2, x1: 16, y0: 3, y1: 23, n: inkBox(three, W).n });
  assert.deepEqual(
    [...three.subarray((3 * W + 2) * 3, (3 * W + 2) * 3 + 3)],
    [255, 0, 0],
    "drawn in the colour",
  );

  const clipped = new Uint8Array(W * H * 3);
  assert.doesNotThrow(() => drawText(clipped, W, H, 35, -4, "WWW", [255, 255, 255], 2));
  assert.ok(inkBox(clipped, W).n > 0, "the visible part is drawn");

  const q = new Uint8Array(W * H * 3);
  const u = new Uint8Array(W * H * 3);
  drawText(q, W, H, 0, 0, "?", [255, 255, 255]);
  drawText(u, W, H, 0, 0, "\u00b5", [255, 255, 255]);
  assert.deepEqual(u, q);
});
