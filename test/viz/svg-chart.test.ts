import assert from "node:assert/strict";
import { test } from "node:test";
import { barChart, formatTick, lineChart, niceTicks } from "../../src/viz/svg-chart.js";

/** Crude well-formedness: every opened element closes, in order, and nothing is NaN. */
function assertWellFormed(svg: string): void {
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), "starts with an svg element");
  assert.ok(svg.trimEnd().endsWith("</svg>"));
  assert.ok(!/NaN|undefined|Infinity/.test(svg), "no NaN, undefined or Infinity in the markup");
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (self) continue;
    if (close) assert.equal(stack.pop(), name, `</${name}> closes the open element`);
    else stack.push(name);
  }
  assert.deepEqual(stack, [], "every element closed");
  for (const text of svg.matchAll(/>([^<]*)</g))
    assert.ok(!/[<>]|&(?!amp;|lt;|gt;|quot;|#39;)/.test(text[1]), "text escaped");
}

test("niceTicks and formatTick give round, readable ticks", () => {
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(3, 97), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(0.0123, 0.0177, 4), [0.012, 0.014, 0.016, 0.018]);
  const flat = niceTicks(5, 5);
  assert.ok(
    flat[0] < 5 && flat[flat.length - 1] > 5 && flat.includes(5),
    "a constant series gets a range around it",
  );
  assert.equal(formatTick(0.30000000000000004), "0.3");
  assert.equal(formatTick(1e-5), "1e-5");
  assert.equal(formatTick(250000), "2.5e5");
});

test("lineChart draws every series with its name, skips NaN points and works on a log axis", () => {
  const train: [number, number][] = Array.from({ length: 50 }, (_, i) => [i, 2 * Math.exp(-i / 10) + 0.01]);
  const val: [number, number][] = [
    [9, 1],
    [19, NaN],
    [29, 0.2],
    [39, 0.1],
  ];
  for (const logY of [false, true]) {
    const svg = lineChart(
      [
        { name: "train loss", points: train },
        { name: "val <loss> & more", points: val },
      ],
      { title: "MAE pre-training", xLabel: "step", yLabel: "loss", logY },
    );
    assertWellFormed(svg);
    assert.ok(
      svg.includes("train loss") && svg.includes("val &lt;loss&gt; &amp; more"),
      "legend names, escaped",
    );
    assert.ok(svg.includes(">MAE pre-training<") && svg.includes(">step<") && svg.includes(">loss<"));
    assert.equal((svg.match(/<path /g) ?? []).length, 2, "one path per series");
    const valPath = svg.match(/<path d="([^"]+)"[^>]*stroke="#f28e2b"/)![1];
    assert.equal((valPath.match(/M/g) ?? []).length, 2, "the NaN point breaks the validation line");
    if (logY) assert.ok(svg.includes(">0.01<") && svg.includes(">1<"), "decade ticks on the log axis");
  }
});

test("lineChart with no usable points still renders axes and says so", () => {
  const svg = lineChart([{ name: "empty", points: [[0, NaN]] }], { logY: true });
  assertWellFormed(svg);
  assert.ok(svg.includes("no data"));
});

test("barChart draws one bar per finite value, category labels and a legend", () => {
  const categories = ["background", "platelet", "bubble"];
  const svg = barChart(
    {
      categories,
      series: [
        { name: "unetr_pretrained", values: [0.98, 0.9, 0.5] },
        { name: "unet", values: [0.97, NaN, 0.4] },
      ],
    },
    { title: "Per-class F1", yLabel: "F1", yMax: 1 },
  );
  assertWellFormed(svg);
  assert.equal(
    (svg.match(/<rect [^>]*fill="#(4e79a7|f28e2b)"><title>/g) ?? []).length,
    5,
    "5 finite values, 5 bars",
  );
  for (const c of [...categories, "unetr_pretrained", "unet"]) assert.ok(svg.includes(`>${c}<`), c);
  assert.ok(svg.includes(">1<"), "value axis reaches yMax");
  assert.throws(
    () => barChart({ categories, series: [{ name: "x", values: [1] }] }),
    /"x" has 1 values for 3/,
  );
});
