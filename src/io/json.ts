// The JSON files hemoseg reads and writes (dataset.json, run.json, config.json, sweep specs,
// trainer_state.json, ...): read with errors naming the file, written atomically, and checked
// field by field by Fields, which names the file and every bad field in one error.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic.js";

export type JsonObject = Record<string, unknown>;

export const isJsonObject = (v: unknown): v is JsonObject =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Parses the JSON file at path; `what` names it in the error when it cannot be read. */
export function readJson(path: string, what = "file"): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`${path}: cannot read ${what} (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** A JSON file that must hold an object. */
export function readJsonObject(path: string, what = "file"): JsonObject {
  const json = readJson(path, what);
  if (!isJsonObject(json)) throw new Error(`${path}: not a JSON object`);
  return json;
}

/** Writes value as indented JSON with a final newline, atomically. */
export function writeJson(path: string, value: unknown, indent = 2): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, indent)}\n`);
}

/**
 * Field readers over a JSON object that collect every problem, so one error lists them all: each
 * returns the value (or the fallback when the field is absent) and notes what is wrong with it.
 * A field without a fallback is required.
 */
export class Fields {
  /**
   * `at` prefixes the field names of a nested object ("split."); a nested reader shares its
   * parent's problem list, so the parent's error lists them too.
   */
  constructor(
    readonly json: JsonObject,
    readonly problems: string[] = [],
    readonly at = "",
  ) {}

  #get(key: string, fallback: unknown): unknown {
    if (key in this.json && this.json[key] !== null) return this.json[key];
    if (fallback === undefined) this.problems.push(`missing field '${this.at}${key}'`);
    return fallback;
  }
  /** Notes a problem with a field that the typed readers cannot see (a cross-field rule). */
  problem(key: string, why: string): void {
    this.problems.push(`'${this.at}${key}' ${why}`);
  }
  /** Notes every key of the object not in `known` (most often a typo), naming the known ones. */
  only(known: readonly string[], what = "key"): void {
    for (const k of Object.keys(this.json))
      if (!known.includes(k)) this.problem(k, `is an unknown ${what} (known: ${known.join(", ")})`);
  }
  /** The nested object at key (required unless optional), read by its own Fields. */
  object(key: string, optional = false): Fields | undefined {
    const v = this.#get(key, optional ? null : undefined);
    if (v === null || v === undefined) return undefined;
    if (!isJsonObject(v)) {
      this.problem(key, `must be an object, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return new Fields(v, this.problems, `${this.at}${key}.`);
  }
  int(key: string, fallback?: number, min = 1): number {
    let v = this.#get(key, fallback);
    // HF allows [h, w] pairs for image and patch sizes; hemoseg's tiles are square.
    if (Array.isArray(v) && v.length === 2 && v[0] === v[1]) v = v[0];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < min)) {
      this.problems.push(
        `'${this.at}${key}' must be an integer${min > Number.MIN_SAFE_INTEGER ? ` >= ${min}` : ""}${Array.isArray(v) ? " (or a square [n, n] pair)" : ""}, got ${JSON.stringify(v)}`,
      );
    }
    return v as number;
  }
  num(key: string, fallback: number | undefined, lo: number, hi: number, hiOpen = false): number {
    const v = this.#get(key, fallback);
    if (v !== undefined && (typeof v !== "number" || !(v >= lo && (hiOpen ? v < hi : v <= hi)))) {
      this.problems.push(
        `'${this.at}${key}' must be a number in [${lo}, ${hi}${hiOpen ? ")" : "]"}, got ${JSON.stringify(v)}`,
      );
    }
    return v as number;
  }
  /** A required number that JSON may hold as null (a NaN or an infinity when it was written). */
  numOrNull(key: string): number | null {
    if (this.json[key] === null) return null;
    return this.num(key, undefined, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  }
  bool(key: string, fallback?: boolean): boolean {
    const v = this.#get(key, fallback);
    if (v !== undefined && typeof v !== "boolean")
      this.problems.push(`'${this.at}${key}' must be true or false, got ${JSON.stringify(v)}`);
    return v as boolean;
  }
  /** One of `allowed`. */
  str<S extends string>(key: string, allowed: readonly S[], fallback?: S): S {
    const v = this.#get(key, fallback);
    if (v !== undefined && !allowed.includes(v as S)) {
      this.problems.push(`'${this.at}${key}' must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
    }
    return v as S;
  }
  /** Any non-empty string. */
  text(key: string, fallback?: string): string {
    const v = this.#get(key, fallback);
    if (v !== undefined && (typeof v !== "string" || v.length === 0))
      this.problems.push(`'${this.at}${key}' must be a non-empty string, got ${JSON.stringify(v)}`);
    return v as string;
  }
  /** A list of finite numbers (of `length` when given). */
  nums(key: string, length?: number, fallback?: number[]): number[] {
    const v = this.#get(key, fallback);
    const ok =
      Array.isArray(v) &&
      (length === undefined || v.length === length) &&
      v.every((x) => typeof x === "number" && Number.isFinite(x));
    if (v !== undefined && !ok)
      this.problems.push(
        `'${this.at}${key}' must be a list of ${length ?? ""}${length === undefined ? "" : " "}finite numbers, got ${JSON.stringify(v)}`,
      );
    return v as number[];
  }
  /** A list of non-empty strings. */
  texts(key: string, fallback?: string[]): string[] {
    const v = this.#get(key, fallback);
    if (v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === "string" && x.length > 0)))
      this.problems.push(`'${this.at}${key}' must be a list of names, got ${JSON.stringify(v)}`);
    return v as string[];
  }
  /** Throws one error naming `where` and every problem found, if any. */
  fail(where: string, what = "config"): void {
    if (this.problems.length) throw new Error(`${where}: invalid ${what}:\n  ${this.problems.join("\n  ")}`);
  }
}

/** A small JSON file of a run directory, written and read through the same typed code. */
export interface JsonFile<T> {
  readonly name: string;
  write(dir: string, value: T): void;
  /** Reads and checks dir/name; errors name the file and every bad field. */
  read(dir: string): T;
}

/** A JsonFile named `name`, checked on reading by `check` (Fields collects the problems). */
export function jsonFile<T>(name: string, check: (f: Fields) => T, indent = 2): JsonFile<T> {
  return {
    name,
    write: (dir, value) => writeJson(join(dir, name), value, indent),
    read: (dir) => {
      const path = join(dir, name);
      const f = new Fields(readJsonObject(path));
      const value = check(f);
      f.fail(path, name);
      return value;
    },
  };
}
