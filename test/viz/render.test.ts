import assert from "node:assert/strict";
import { test } from "node:test";
import { decodePng } from "../../src/io/png.js";
import { LINE_HEIGHT } from "../../src/viz/font.js";
import { Canvas, fitText, panelGrid } from "../../src/viz/render.js";

const px = (c: Canvas, x: number, y: number) => [
  ...c.data.subarray((y * c.width + x) * 3, (y * c.width + x) * 3 + 3),
];

test("Canvas fills, clips, strokes and copies scaled images", () => {
  const c = new Canvas(10, 8, [1, 2, 3]);
  assert.deepEqual(px(c, 9, 7), [1, 2, 3]);
  c.fillRect(8, 6, 5, 5, [200, 0, 0]); // runs off the corner: clipped
  assert.deepEqual(px(c, 9, 7), [200, 0, 0]);
  assert.deepEqual(px(c, 7, 7), [1, 2, 3]);
  c.strokeRect(0, 0, 4, 4, [0, 255, 0]);
  assert.deepEqual(px(c, 3, 2), [0, 255, 0]);
  assert.deepEqual(px(c, 1, 1), [1, 2, 3], "inside of the outline untouched");

  const img = new Uint8Array([10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40]); // 2 x 2
  c.drawImage(img, 2, 2, 4, 2, 2);
  assert.deepEqual(px(c, 4, 2), [10, 10, 10]);
  assert.deepEqual(px(c, 5, 3), [10, 10, 10]);
  assert.deepEqual(px(c, 6, 2), [20, 20, 20]);
  assert.deepEqual(px(c, 7, 5), [40, 40, 40]);
  assert.throws(() => c.drawImage(img, 3, 2, 0, 0), /12 bytes is not 3 x 2 x 3/);
  assert.throws(() => new Canvas(0, 5), /positive integers/);
});

test("toPng round-trips through the PNG decoder", () => {
  const c = new Canvas(13, 7, [255, 255, 255]);
  c.text(1, 0, "ok", [0, 0, 200]);
  const png = decodePng(c.toPng());
  assert.equal(png.width, 13);
  assert.equal(png.height, 7);
  assert.equal(png.channels, 3);
  assert.deepEqual(png.data, c.data);
});

test("fitText shortens long captions to the width", () => {
  assert.equal(fitText("short", 100), "short");
  const t = fitText("a rather long caption", 40);
  assert.ok(t.endsWith(".") && t.length < 10, t);
  assert.equal(fitText("abc", 2), "");
});

test("panelGrid lays panels out in rows under their captions", () => {
  const red = {
    rgb: new Uint8Array(4 * 4 * 3).fill(0).map((_, i) => (i % 3 === 0 ? 255 : 0)),
    width: 4,
    height: 4,
  };
  const blue = { rgb: new Uint8Array(2 * 2 * 3).map((_, i) => (i % 3 === 2 ? 255 : 0)), width: 2, height: 2 };
  const g = panelGrid(
    [
      [
        { ...red, caption: "input" },
        { ...blue, caption: "pred" },
      ],
      [red],
    ],
    { scale: 3, gap: 2, title: "example" },
  );
  const cell = 12;
  const line = LINE_HEIGHT;
  assert.equal(g.width, 2 + 2 * (cell + 2));
  assert.equal(g.height, 2 + line + 2 + 2 * (line + cell + 2));
  const top = 2 + line + 2 + line; // first panel row, under title and caption
  assert.deepEqual(px(g, 2, top), [255, 0, 0]);
  assert.deepEqual(px(g, 2 + cell + 2 + 5, top + 5), [0, 0, 255], "blue panel scaled 3x");
  assert.deepEqual(px(g, 2 + cell + 2 + 6, top + 6), [255, 255, 255], "smaller panel leaves background");
  assert.throws(() => panelGrid([]), /no panels/);
});
