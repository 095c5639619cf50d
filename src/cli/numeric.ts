// One way to read every numeric command-line option: an integer or a real number, in a range,
// refused with a message that names the option, the range and the text given.
import { Option } from "commander";
import { UsageError } from "../errors.js";

export interface Range {
  /** Smallest allowed value (inclusive). */
  min?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
  /** Values must be greater than this (exclusive bound). */
  above?: number;
  /** Values must be less than this (exclusive bound). */
  below?: number;
}

export interface NumberSpec extends Range {
  integer?: boolean;
}

/** "an integer >= 1", "a number in (0, 1)", ... */
export function describeSpec(s: NumberSpec): string {
  const kind = s.integer ? "an integer" : "a number";
  const lo = s.min !== undefined ? `[${s.min}` : s.above !== undefined ? `(${s.above}` : undefined;
  const hi = s.max !== undefined ? `${s.max}]` : s.below !== undefined ? `${s.below})` : undefined;
  if (lo && hi) return `${kind} in ${lo}, ${hi}`;
  if (s.min !== undefined) return `${kind} >= ${s.min}`;
  if (s.above !== undefined) return `${kind} > ${s.above}`;
  if (s.max !== undefined) return `${kind} <= ${s.max}`;
  if (s.below !== undefined) return `${kind} < ${s.below}`;
  return kind;
}

/** The value `text` of option `name` as a number meeting spec, or a UsageError naming the option. */
export function parseNumber(name: string, text: string, spec: NumberSpec): number {
  const t = text.trim();
  // Number() alone would take "", "0x10", "1e3" for integers and " " as 0: accept plain decimals
  const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : Number.NaN;
  const ok =
    Number.isFinite(n) &&
    (!spec.integer || Number.isSafeInteger(n)) &&
    (spec.min === undefined || n >= spec.min) &&
    (spec.max === undefined || n <= spec.max) &&
    (spec.above === undefined || n > spec.above) &&
    (spec.below === undefined || n < spec.below);
  if (!ok) throw new UsageError(`${name} must be ${describeSpec(spec)}, got '${text}'`);
  return n;
}

/** Checks a value that did not come from text (a default, a spec file): same rules, same message. */
export function checkNumber(name: string, value: number, spec: NumberSpec): number {
  return parseNumber(name, String(value), spec);
}

const longName = (flags: string): string => {
  const m = /--[\w-]+/.exec(flags);
  if (!m) throw new Error(`numeric option '${flags}' has no --long name`);
  return m[0];
};

/** A commander option whose value is parsed and range-checked by parseNumber. */
export function numberOption(flags: string, description: string, spec: NumberSpec, dflt?: number): Option {
  const name = longName(flags);
  if (dflt !== undefined) checkNumber(name, dflt, spec);
  const o = new Option(flags, description).argParser((v: string) => parseNumber(name, v, spec));
  return dflt === undefined ? o : o.default(dflt);
}

/** An integer option: numberOption with integer set. */
export const intOption = (flags: string, description: string, range: Range = {}, dflt?: number): Option =>
  numberOption(flags, description, { ...range, integer: true }, dflt);

/** A real-valued option. */
export const floatOption = (flags: string, description: string, range: Range = {}, dflt?: number): Option =>
  numberOption(flags, description, range, dflt);

/** A comma-separated list of numbers (of exactly `count` when given), each meeting spec. */
export function parseNumberList(name: string, text: string, spec: NumberSpec, count?: number): number[] {
  const parts = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (count !== undefined && parts.length !== count)
    throw new UsageError(`${name} takes ${count} comma-separated numbers, got '${text}'`);
  if (parts.length === 0) throw new UsageError(`${name} takes comma-separated numbers, got '${text}'`);
  return parts.map((p) => parseNumber(name, p, spec));
}

/** An option holding a comma-separated list of numbers. */
export function numberListOption(
  flags: string,
  description: string,
  spec: NumberSpec,
  count?: number,
  dflt?: number[],
): Option {
  const name = longName(flags);
  const o = new Option(flags, description).argParser((v: string) => parseNumberList(name, v, spec, count));
  return dflt === undefined ? o : o.default(dflt, dflt.join(","));
}
