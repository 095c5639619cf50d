import assert from "node:assert/strict";
import { test } from "node:test";
import { decodePng } from "../../src/io/png.js";
import { blues } from "../../src/viz/colours.js";
import { compactCount, confusionHeatmapPng } from "../../src/viz/heatmap.js";

const NAMES = ["background", "white blood cell", "platelet", "monster beads"];
const CM = [
  [900, 40, 10, 0],
  [30, 160, 10, 0],
  [5, 5, 40, 0],
  [0, 0, 0, 0],
];

function colours(data: Uint8Array | Uint16Array): Set<string> {
  const s = new Set<string>();
  for (let i = 0; i < data.length; i += 3) s.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
  return s;
}

test("compactCount fits counts in five characters", () => {
  assert.deepEqual([0, 9999, 12345, 123456, 1234567, 12345678, 987654321].map(compactCount), [
    "0",
    "9999",
    "12.3k",
    "123k",
    "1.23M",
    "12.3M",
    "988M",
  ]);
});

test("the heatmap PNG decodes, has the matrix's colours and differs between counts and ratios", () => {
  const ratio = confusionHeatmapPng(CM, NAMES, { normalise: true });
  const counts = confusionHeatmapPng(CM, NAMES, { normalise: false });
  for (const buf of [ratio, counts]) {
    const png = decodePng(buf);
    assert.equal(png.channels, 3);
    assert.ok(
      png.width > 300 && png.width < 1500 && png.height > 150 && png.height < 1000,
      `${png.width}x${png.height}`,
    );
    const seen = colours(png.data);
    assert.ok(seen.size > 20, "not a uniform image");
    const diag = blues(900 / 950).join();
    assert.ok(seen.has(diag), "the background diagonal cell is coloured by its row share");
    assert.ok(seen.has(blues(40 / 950).join()), "an off-diagonal cell too");
    assert.ok(seen.has("232,232,232"), "the row with no support is greyed");
  }
  assert.notDeepEqual(ratio, counts);
});

test("one class works; a matrix that does not match the names is rejected", () => {
  const png = decodePng(confusionHeatmapPng([[5]], ["only"]));
  assert.ok(png.width > 50 && png.height > 50);
  assert.throws(() => confusionHeatmapPng(CM, NAMES.slice(0, 3)), /not 3 x 3/);
  assert.throws(() => confusionHeatmapPng([[NaN]], ["x"]), /finite/);
});
