// A progress bar on stderr: redrawn in place on a terminal, a line every few seconds otherwise.

export interface ProgressOptions {
  total: number;
  label: string;
  unit?: string; // what one tick counts, for the rate ("img")
  stream?: NodeJS.WriteStream;
}

const fmtTime = (s: number): string => {
  if (!Number.isFinite(s)) return "--:--";
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return `${h ? `${h}:` : ""}${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
};

export class Progress {
  readonly #o: Required<ProgressOptions>;
  readonly #start = performance.now();
  #done = 0;
  #units = 0;
  #last = 0;
  #info = "";
  #drawn = -1;

  constructor(o: ProgressOptions) {
    this.#o = { unit: "it", stream: process.stderr, ...o };
  }

  /** Advances by n steps that processed `units` items (images), with a status like "loss 0.123". */
  tick(n = 1, units = 0, info?: string): void {
    this.#done += n;
    this.#units += units;
    if (info !== undefined) this.#info = info;
    const now = performance.now();
    const tty = this.#o.stream.isTTY;
    if (this.#done < this.#o.total && now - this.#last < (tty ? 100 : 5000)) return;
    this.#last = now;
    this.#draw(tty);
  }

  #draw(tty: boolean): void {
    this.#drawn = this.#done;
    const el = (performance.now() - this.#start) / 1000;
    const frac = Math.min(1, this.#done / Math.max(1, this.#o.total));
    const eta = frac > 0 ? (el / frac) * (1 - frac) : Number.NaN;
    const rate = this.#units > 0 ? ` ${(this.#units / el).toFixed(1)} ${this.#o.unit}/s` : "";
    const width = 24;
    const bar = "█".repeat(Math.round(frac * width)).padEnd(width, "·");
    const line = `${this.#o.label} ${bar} ${this.#done}/${this.#o.total} ${fmtTime(el)}<${fmtTime(eta)}${rate} ${this.#info}`;
    this.#o.stream.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
  }

  done(info?: string): void {
    if (info !== undefined) this.#info = info;
    const tty = this.#o.stream.isTTY;
    if (tty || info !== undefined || this.#drawn !== this.#done) this.#draw(tty);
    if (this.#o.stream.isTTY) this.#o.stream.write("\n");
  }
}
