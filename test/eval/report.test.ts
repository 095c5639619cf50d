import assert from "node:assert/strict";
import { test } from "node:test";
import { classificationReport } from "../../src/eval/report.js";

const near = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

// Class 2 has no support but is predicted once; class 3 has support but is never predicted.
const CM = [
  [5, 1, 1, 0],
  [2, 6, 0, 0],
  [0, 0, 0, 0],
  [1, 2, 1, 0],
];
const NAMES = ["bg", "wbc", "monster", "scratch"];

test("per-class scores, accuracy and averages match scikit-learn (labels=range(K), zero_division=0)", () => {
  // Expected values from sklearn 1.9.1 classification_report(..., labels=range(4), zero_division=0,
  // output_dict=True) on the pixels this matrix counts; bg by hand: P = 5/8, R = 5/7, F1 = 10/15.
  const r = classificationReport(CM, NAMES);
  const expect = {
    bg: [0.625, 0.7142857142857143, 0.6666666666666666, 7],
    wbc: [0.6666666666666666, 0.75, 0.7058823529411765, 8],
    monster: [0, 0, 0, 0],
    scratch: [0, 0, 0, 4],
  };
  assert.deepEqual(Object.keys(r.perClass), NAMES, "every class listed, in order");
  for (const [n, [p, rec, f1, s]] of Object.entries(expect)) {
    near(r.perClass[n].precision, p, `${n} precision`);
    near(r.perClass[n].recall, rec, `${n} recall`);
    near(r.perClass[n].f1, f1, `${n} f1`);
    assert.equal(r.perClass[n].support, s, `${n} support`);
  }
  near(r.accuracy, 0.5789473684210527, "accuracy");
  near(r.macro.precision, 0.32291666666666663, "macro precision");
  near(r.macro.recall, 0.3660714285714286, "macro recall");
  near(r.macro.f1, 0.3431372549019608, "macro f1");
  near(r.weighted.precision, 0.5109649122807017, "weighted precision");
  near(r.weighted.recall, 0.5789473684210527, "weighted recall");
  near(r.weighted.f1, 0.542827657378741, "weighted f1");
  assert.equal(r.macro.support, 19);
  assert.equal(r.weighted.support, 19);
});

test("a perfect diagonal scores 1 where there is support; an empty matrix scores 0 everywhere", () => {
  const r = classificationReport(
    [
      [3, 0, 0],
      [0, 0, 0],
      [0, 0, 9],
    ],
    ["a", "b", "c"],
  );
  assert.deepEqual(r.perClass.a, { precision: 1, recall: 1, f1: 1, support: 3 });
  assert.deepEqual(r.perClass.b, { precision: 0, recall: 0, f1: 0, support: 0 });
  assert.equal(r.accuracy, 1);
  near(r.macro.f1, 2 / 3, "macro f1 counts the empty class");
  assert.equal(r.weighted.f1, 1, "weighted by support ignores the empty class");

  const z = classificationReport(
    [
      [0, 0],
      [0, 0],
    ],
    ["a", "b"],
  );
  assert.equal(z.accuracy, 0);
  assert.deepEqual(z.weighted, { precision: 0, recall: 0, f1: 0, support: 0 });
});

test("a class that is predicted but never right gets precision 0 and F1 0", () => {
  const r = classificationReport(
    [
      [4, 2],
      [0, 0],
    ],
    ["a", "b"],
  );
  assert.deepEqual(r.perClass.b, { precision: 0, recall: 0, f1: 0, support: 0 });
  near(r.perClass.a.f1, 8 / 10, "a: F1 = 2tp / (2tp + fp + fn)");
});

test("a matrix that does not match the class names, or bad counts, is rejected", () => {
  assert.throws(() => classificationReport(CM, ["a", "b", "c"]), /expected a 3 x 3 matrix/);
  assert.throws(
    () =>
      classificationReport(
        [
          [1, -1],
          [0, 1],
        ],
        ["a", "b"],
      ),
    /count -1/,
  );
  assert.throws(
    () =>
      classificationReport(
        [
          [1, 0],
          [0, 1],
        ],
        ["a", "a"],
      ),
    /distinct/,
  );
});
