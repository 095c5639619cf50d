// Text and CSV renderings of classification reports and confusion matrices.
import type { ClassificationReport, ClassScores } from "./report.js";

const fixed = (x: number, digits: number): string => x.toFixed(digits);
/** Plain decimal for CSV: at most 6 decimals, no trailing zeros. */
const num = (x: number): string => String(Number(x.toFixed(6)));

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * The report laid out like scikit-learn's classification_report (and the paper's Tables 7-8):
 * one row per class, then accuracy, macro avg and weighted avg.
 */
export function formatReport(rep: ClassificationReport, title?: string, digits = 2): string {
  const heads = ["precision", "recall", "f1-score", "support"];
  const names = Object.keys(rep.perClass);
  const width = Math.max("weighted avg".length, ...names.map((n) => n.length));
  const col = Math.max(9, digits + 2);
  const row = (name: string, s: ClassScores): string =>
    `${name.padStart(width)} ` +
    [fixed(s.precision, digits), fixed(s.recall, digits), fixed(s.f1, digits)]
      .map((v) => ` ${v.padStart(col)}`)
      .join("") +
    ` ${String(s.support).padStart(col)}`;
  const lines: string[] = [];
  if (title) lines.push(title, "");
  lines.push(" ".repeat(width + 1) + heads.map((h) => ` ${h.padStart(col)}`).join(""), "");
  for (const n of names) lines.push(row(n, rep.perClass[n]));
  lines.push("");
  const total = rep.macro.support;
  lines.push(
    `${"accuracy".padStart(width)} ` +
      " ".repeat(2 * (col + 1)) +
      ` ${fixed(rep.accuracy, digits).padStart(col)}` +
      ` ${String(total).padStart(col)}`,
  );
  lines.push(row("macro avg", rep.macro), row("weighted avg", rep.weighted));
  return `${lines.join("\n")}\n`;
}

/** class,precision,recall,f1,support rows; accuracy sits in the f1 column as sklearn prints it. */
export function reportToCsv(rep: ClassificationReport): string {
  const line = (name: string, s: ClassScores) =>
    [csvField(name), num(s.precision), num(s.recall), num(s.f1), String(s.support)].join(",");
  const lines = ["class,precision,recall,f1,support"];
  for (const [n, s] of Object.entries(rep.perClass)) lines.push(line(n, s));
  lines.push(`accuracy,,,${num(rep.accuracy)},${rep.macro.support}`);
  lines.push(line("macro avg", rep.macro), line("weighted avg", rep.weighted));
  return `${lines.join("\n")}\n`;
}

/** A matrix (counts or ratios) with true classes as rows and predicted classes as columns. */
export function confusionToCsv(cm: number[][], names: string[]): string {
  if (cm.length !== names.length || cm.some((r) => r.length !== names.length)) {
    throw new Error(
      `confusionToCsv: matrix is not ${names.length} x ${names.length} for ${names.length} names`,
    );
  }
  const lines = [["true\\pred", ...names].map(csvField).join(",")];
  cm.forEach((row, i) => {
    lines.push([csvField(names[i]), ...row.map(num)].join(","));
  });
  return `${lines.join("\n")}\n`;
}

/**
 * Models side by side: per-class F1, then accuracy and macro F1, one column per model; the best
 * value of each row is starred unless every model ties.
 */
export function sideBySide(reports: Record<string, ClassificationReport>, digits = 2): string {
  const models = Object.keys(reports);
  if (models.length === 0) throw new Error("sideBySide: no reports given");
  const classes: string[] = [];
  for (const r of Object.values(reports))
    for (const c of Object.keys(r.perClass)) if (!classes.includes(c)) classes.push(c);
  const rows: [string, (number | undefined)[]][] = classes.map((c) => [
    c,
    models.map((m) => reports[m].perClass[c]?.f1),
  ]);
  rows.push(["accuracy", models.map((m) => reports[m].accuracy)]);
  rows.push(["macro F1", models.map((m) => reports[m].macro.f1)]);

  const star = models.length > 1;
  const cells = rows.map(([, vals]) => {
    const present = vals.filter((v): v is number => v !== undefined);
    const best = Math.max(...present);
    const tie = present.every((v) => v === best);
    return vals.map((v) =>
      v === undefined ? "-" : fixed(v, digits) + (star && !tie && v === best ? "*" : " "),
    );
  });
  const first = Math.max("F1 by class".length, ...rows.map(([n]) => n.length));
  const widths = models.map((m, j) => Math.max(m.length, ...cells.map((r) => r[j].length)));
  const fmt = (name: string, vals: string[]) =>
    name.padEnd(first) + vals.map((v, j) => `  ${v.padStart(widths[j])}`).join("");
  const out = [
    fmt("F1 by class", models),
    "-".repeat(first) + widths.map((w) => `  ${"-".repeat(w)}`).join(""),
  ];
  rows.forEach(([name], i) => {
    if (name === "accuracy") out.push("");
    out.push(fmt(name, cells[i]));
  });
  return `${out.map((l) => l.trimEnd()).join("\n")}\n`;
}
