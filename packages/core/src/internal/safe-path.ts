/**
 * Dot paths into JSON values (`patient.address.city`, `items.0.price`, `items[0].price`), read and written
 * without mutation and without ever letting `__proto__`, `constructor` or `prototype` reach a prototype.
 */
import { coreErrors } from '../errors.js';

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** True for keys that must never be followed or written. */
export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN.has(key);
}

/** Splits a path; an empty path is the root. Rejects forbidden keys. */
export function parsePath(path: string): string[] {
  if (path === '' || path === '$') return [];
  const keys = path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((k) => k !== '');
  for (const key of keys) {
    if (FORBIDDEN.has(key)) throw coreErrors.UNSAFE_KEY({ path, key });
  }
  return keys;
}

/** Reads a path; `undefined` when any step is missing. Only own properties are followed. */
export function getPath(value: unknown, keys: readonly string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Returns a copy of `root` with `value` at the path; objects along the path are copied, never mutated. */
export function setPath(root: unknown, keys: readonly string[], value: unknown): unknown {
  if (keys.length === 0) return value;
  const [key, ...rest] = keys as [string, ...string[]];
  const child =
    root !== null && typeof root === 'object' && Object.hasOwn(root, key)
      ? (root as Record<string, unknown>)[key]
      : undefined;
  const next = setPath(child, rest, value);
  if (Array.isArray(root) && /^\d+$/.test(key)) {
    const copy = root.slice();
    copy[Number(key)] = next;
    return copy;
  }
  const copy =
    root !== null && typeof root === 'object' && !Array.isArray(root) ? { ...(root as object) } : {};
  defineOwn(copy, key, next);
  return copy;
}

/**
 * Merges `source` into a copy of `target`, objects recursively; arrays and scalars replace. Forbidden keys in
 * `source` are dropped — a `{"__proto__": {...}}` payload is neutralised, never followed.
 */
export function safeMerge(target: unknown, source: unknown, depth = 0): unknown {
  if (!isPlainObject(target) || !isPlainObject(source) || depth > 64) return source;
  const out: Record<string, unknown> = { ...target };
  for (const key of Object.keys(source)) {
    if (FORBIDDEN.has(key)) continue;
    const value = (source as Record<string, unknown>)[key];
    defineOwn(out, key, Object.hasOwn(out, key) ? safeMerge(out[key], value, depth + 1) : value);
  }
  return out;
}

/** Deeper than any JSON body the limits let in; far below what would overflow the stack. */
const MAX_SANITIZE_DEPTH = 1000;

/**
 * Returns `value` without `__proto__`, `constructor` and `prototype` keys at any depth. Objects and arrays
 * are copied only along the way to a key that was dropped, so a clean value (the usual case) comes back as
 * it is, without allocation. `JSON.parse` turns `{"__proto__": …}` into an own property, which is harmless
 * until some later `Object.assign` or merge follows it: dropping it on the way in closes that door.
 */
export function withoutForbiddenKeys(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_SANITIZE_DEPTH) throw coreErrors.JSON_TOO_DEEP({ limit: MAX_SANITIZE_DEPTH });
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const clean = withoutForbiddenKeys(item, depth + 1);
      if (clean !== item) {
        copy ??= value.slice();
        copy[i] = clean;
      }
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = (value as Record<string, unknown>)[key];
    if (FORBIDDEN.has(key)) {
      copy ??= copyKeys(value as Record<string, unknown>, keys, i);
      continue;
    }
    const clean = withoutForbiddenKeys(item, depth + 1);
    if (copy) defineOwn(copy, key, clean);
    else if (clean !== item) {
      copy = copyKeys(value as Record<string, unknown>, keys, i);
      defineOwn(copy, key, clean);
    }
  }
  return copy ?? value;
}

/** A plain copy of the first `count` keys (those already known to be clean). */
function copyKeys(source: Record<string, unknown>, keys: readonly string[], count: number) {
  const copy: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) defineOwn(copy, keys[i]!, source[keys[i]!]);
  return copy;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Writes an own data property, even for a key named `__proto__` (assignment would call the setter). */
function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
