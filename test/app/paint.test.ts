// Painting sparse labels (src/app/web/paint.ts): which pixels a stroke labels, erasing, undo.
import assert from "node:assert/strict";
import { test } from "node:test";
import { capsulePixels, Strokes } from "../../src/app/web/paint.js";

const labelled = (mask: Uint8Array) => [...mask.keys()].filter((i) => mask[i] !== 255);

test("a dab labels the pixels whose centres lie within the radius", () => {
  // centre (2, 2) on a 5 x 5 grid, radius 1: pixel centres at distance <= 1 are (2,2) and its 4 neighbours
  const W = 5;
  const px = capsulePixels({ x: 2.5, y: 2.5 }, { x: 2.5, y: 2.5 }, 1, W, 5);
  assert.deepEqual(px, [1 * W + 2, 2 * W + 1, 2 * W + 2, 2 * W + 3, 3 * W + 2]);
  // a horizontal segment of radius 0.5 along row 1 covers that row from x=1 to x=4
  assert.deepEqual(capsulePixels({ x: 1.5, y: 1.5 }, { x: 4.5, y: 1.5 }, 0.5, 6, 3), [7, 8, 9, 10]);
  // clipped at the borders
  assert.deepEqual(capsulePixels({ x: 0, y: 0 }, { x: 0, y: 0 }, 0.8, 4, 4), [0]);
});

test("strokes paint classes, erase, count, and undo one stroke at a time", () => {
  const s = new Strokes(8, 4);
  assert.equal(labelled(s.mask).length, 0);
  assert.deepEqual(s.begin({ x: 0.5, y: 0.5 }, 2, 0.5), [0]);
  assert.deepEqual(s.extend({ x: 3.5, y: 0.5 }), [1, 2, 3]);
  s.end();
  s.begin({ x: 2.5, y: 1.5 }, 1, 1);
  s.end(); // (2,1) and neighbours: (2,0) (1,1) (3,1) (2,2)
  assert.deepEqual(labelled(s.mask), [0, 1, 2, 3, 9, 10, 11, 18]);
  assert.equal(s.mask[2], 1, "the later stroke wins");
  assert.deepEqual(s.counts(3), [0, 5, 3]);
  s.begin({ x: 2.5, y: 1.5 }, 255, 0.5); // eraser
  s.end();
  assert.equal(s.mask[10], 255);
  assert.deepEqual(s.undo(), [10]);
  assert.equal(s.mask[10], 1);
  s.undo();
  assert.deepEqual(labelled(s.mask), [0, 1, 2, 3]);
  assert.deepEqual(Array.from(s.mask.subarray(0, 4)), [2, 2, 2, 2], "undo restores the overwritten class");
  s.undo();
  assert.equal(labelled(s.mask).length, 0);
  assert.equal(s.canUndo, false);
  assert.deepEqual(s.undo(), []);
});
