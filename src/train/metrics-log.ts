// metrics.jsonl: one JSON object per line, appended as training goes (readable while it runs).
import { existsSync, readFileSync } from "node:fs";
import { appendDurable } from "../io/atomic.js";

export class MetricsLog {
  constructor(readonly path: string) {}
  append(record: Record<string, unknown>): void {
    appendDurable(this.path, `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
  }
}

export function readMetrics(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l);
      } catch {
        throw new Error(`${path}: line ${i + 1} is not JSON`);
      }
    });
}
