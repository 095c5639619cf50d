import assert from "node:assert/strict";
import { test } from "node:test";
import { confusionToCsv, formatReport, reportToCsv, sideBySide } from "../../src/eval/format.js";
import { classificationReport } from "../../src/eval/report.js";

const NAMES = ["background", "white blood cell", "platelet", "bubble"];
const CM = [
  [50, 3, 2, 0],
  [4, 30, 1, 0],
  [0, 2, 8, 0],
  [0, 0, 0, 0],
];

test("formatReport reproduces scikit-learn's classification_report text", () => {
  // sklearn 1.9.1 classification_report(..., labels=range(4), zero_division=0) on these counts.
  const sklearn2 =
    "                  precision    recall  f1-score   support\n\n      background       0.93      0.91      0.92        55\nwhite blood cell       0.86      0.86      0.86        35\n        platelet       0.73      0.80      0.76        10\n          bubble       0.00      0.00      0.00         0\n\n        accuracy                           0.88       100\n       macro avg       0.63      0.64      0.63       100\n    weighted avg       0.88      0.88      0.88       100\n";
  const sklearn4 =
    "                  precision    recall  f1-score   support\n\n      background     0.9259    0.9091    0.9174        55\nwhite blood cell     0.8571    0.8571    0.8571        35\n        platelet     0.7273    0.8000    0.7619        10\n          bubble     0.0000    0.0000    0.0000         0\n\n        accuracy                         0.8800       100\n       macro avg     0.6276    0.6416    0.6341       100\n    weighted avg     0.8820    0.8800    0.8808       100\n";
  const rep = classificationReport(CM, NAMES);
  assert.equal(formatReport(rep), sklearn2);
  assert.equal(formatReport(rep, undefined, 4), sklearn4);
  assert.ok(formatReport(rep, "UNETR (test split)").startsWith("UNETR (test split)\n\n"));
});

test("reportToCsv and confusionToCsv write one row per class plus the summary rows", () => {
  const rep = classificationReport(CM, NAMES);
  const lines = reportToCsv(rep).trimEnd().split("\n");
  assert.equal(lines[0], "class,precision,recall,f1,support");
  assert.equal(lines[1], "background,0.925926,0.909091,0.917431,55");
  assert.equal(lines[4], "bubble,0,0,0,0");
  assert.equal(lines[5], "accuracy,,,0.88,100");
  assert.equal(lines[6], "macro avg,0.627585,0.641558,0.63412,100");
  assert.equal(lines[7], "weighted avg,0.881987,0.88,0.880778,100");
  assert.equal(lines.length, 8);

  const csv = confusionToCsv(CM, ["a,b", 'say "x"', "c", "d"]).trimEnd().split("\n");
  assert.equal(csv[0], 'true\\pred,"a,b","say ""x""",c,d');
  assert.equal(csv[1], '"a,b",50,3,2,0');
  assert.equal(csv.length, 5);
  assert.equal(
    confusionToCsv(
      [
        [0.5, 0.5],
        [1 / 3, 2 / 3],
      ],
      ["a", "b"],
    ).split("\n")[2],
    "b,0.333333,0.666667",
  );
  assert.throws(() => confusionToCsv(CM, ["a"]), /not 1 x 1/);
});

test("sideBySide lists per-class F1, accuracy and macro F1 per model and stars the best", () => {
  const a = classificationReport(CM, NAMES);
  const b = classificationReport(
    [
      [55, 0, 0, 0],
      [0, 35, 0, 0],
      [0, 4, 6, 0],
      [0, 0, 0, 0],
    ],
    NAMES,
  );
  const text = sideBySide({ unetr_pretrained: a, unet: b });
  const lines = text.trimEnd().split("\n");
  assert.match(lines[0], /^F1 by class\s+unetr_pretrained\s+unet$/);
  const row = (name: string) =>
    lines
      .find((l) => l.startsWith(name))!
      .slice(name.length)
      .trim()
      .split(/\s+/);
  assert.deepEqual(row("background"), ["0.92", "1.00*"]);
  assert.deepEqual(row("platelet"), ["0.76*", "0.75"]);
  assert.deepEqual(row("bubble"), ["0.00", "0.00"], "no star when all tie");
  assert.deepEqual(row("accuracy"), ["0.88", "0.96*"]);
  assert.deepEqual(row("macro F1"), ["0.63", "0.67*"]);
  assert.ok(!sideBySide({ only: a }).includes("*"), "no star with one model");
  assert.throws(() => sideBySide({}), /no reports/);
});
