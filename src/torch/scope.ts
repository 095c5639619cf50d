// Synchronous memory scopes, like tf.tidy: every tensor created inside `scope(fn)` is disposed
// when fn returns, except the tensors it returns and those passed to keep().

export interface Owned {
  dispose(): void;
  readonly isDisposed: boolean;
}

const OWNED = Symbol("hemoseg.owned");
const stack: Set<Owned>[] = [];

/** Called by every new tensor: the innermost open scope now owns it. */
export function track(t: Owned): void {
  (t as unknown as Record<symbol, boolean>)[OWNED] = true;
  stack[stack.length - 1]?.add(t);
}

function isOwned(v: unknown): v is Owned {
  return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[OWNED] === true;
}

function collect(v: unknown, out: Set<Owned>, seen: Set<unknown>): void {
  if (typeof v !== "object" || v === null || seen.has(v)) return;
  seen.add(v);
  if (isOwned(v)) {
    out.add(v);
    return;
  }
  if (Array.isArray(v)) for (const x of v) collect(x, out, seen);
  else if (v instanceof Map) for (const x of v.values()) collect(x, out, seen);
  else if (Object.getPrototypeOf(v) === Object.prototype)
    for (const x of Object.values(v)) collect(x, out, seen);
}

/**
 * Runs fn and disposes every tensor it created, except those reachable from its result
 * (tensors, arrays, plain objects and Maps of them) and those kept; survivors move to the
 * enclosing scope. fn must be synchronous.
 */
export function scope<T>(fn: () => T): T {
  const mine = new Set<Owned>();
  stack.push(mine);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    for (const t of mine) t.dispose();
    throw e;
  }
  stack.pop();
  if (result instanceof Promise) {
    throw new Error("scope(fn): fn returned a Promise; scopes are synchronous (await outside, scope inside)");
  }
  const survivors = new Set<Owned>();
  collect(result, survivors, new Set());
  const parent = stack[stack.length - 1];
  for (const t of mine) {
    if (survivors.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

/** Takes tensors out of every scope: they live until disposed explicitly (or collected). */
export function keep<T>(v: T): T {
  const found = new Set<Owned>();
  collect(v, found, new Set());
  for (const t of found) for (const s of stack) s.delete(t);
  return v;
}

/** Disposes every tensor reachable from v (tensors, arrays, plain objects, Maps). */
export function dispose(v: unknown): void {
  const found = new Set<Owned>();
  collect(v, found, new Set());
  for (const t of found) t.dispose();
}
