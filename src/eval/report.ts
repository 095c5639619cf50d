// scikit-learn's classification_report, computed from a confusion matrix, with zero_division=0.
//
// Averages run over every class given (sklearn with labels=range(K)), so a class with no support
// in the evaluated pixels is listed with support 0 and all-zero scores and still counts in the macro
// average, as in the paper's Tables 7-8. A class never predicted gets precision 0.
import { checkSquare } from "./confusion.js";

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationReport {
  perClass: Record<string, ClassScores>;
  accuracy: number;
  macro: ClassScores;
  weighted: ClassScores;
}

const ratio = (num: number, den: number): number => (den > 0 ? num / den : 0);

/** cm[true][pred] counts over K classes, named by classNames (K distinct names). */
export function classificationReport(cm: number[][], classNames: string[]): ClassificationReport {
  const K = classNames.length;
  checkSquare(cm, K, "classificationReport");
  if (new Set(classNames).size !== K) {
    throw new Error(`classificationReport: class names must be distinct, got [${classNames.join(", ")}]`);
  }
  const perClass: Record<string, ClassScores> = {};
  const scores: ClassScores[] = [];
  let correct = 0;
  let total = 0;
  for (let k = 0; k < K; k++) {
    const tp = cm[k][k];
    const support = cm[k].reduce((a, b) => a + b, 0);
    const predicted = cm.reduce((a, row) => a + row[k], 0);
    const fp = predicted - tp;
    const fn = support - tp;
    // F1 from counts, as sklearn >= 1.3 does: 2tp / (2tp + fp + fn), 0 when nothing to score.
    const s = {
      precision: ratio(tp, predicted),
      recall: ratio(tp, support),
      f1: ratio(2 * tp, 2 * tp + fp + fn),
      support,
    };
    perClass[classNames[k]] = s;
    scores.push(s);
    correct += tp;
    total += support;
  }
  const avg = (weight: (s: ClassScores) => number): ClassScores => {
    const wsum = scores.reduce((a, s) => a + weight(s), 0);
    const mean = (f: (s: ClassScores) => number) =>
      ratio(
        scores.reduce((a, s) => a + weight(s) * f(s), 0),
        wsum,
      );
    return {
      precision: mean((s) => s.precision),
      recall: mean((s) => s.recall),
      f1: mean((s) => s.f1),
      support: total,
    };
  };
  return {
    perClass,
    accuracy: ratio(correct, total),
    macro: avg(() => 1),
    weighted: avg((s) => s.support),
  };
}
