/**
 * Field readers for the validator: each checks one field of an object and
 * returns it typed, or throws a ProtocolError naming the field. Hand-written
 * rather than compiled from a schema so that a valid event costs a few type
 * checks per field and nothing else: paths are only assembled on failure
 * (parent path + key), and number arrays are checked in one tight loop.
 *
 * Numeric readers accept the non-finite markers ("NaN", …) and write the
 * number back into the object in place: validation is also decoding.
 */
import { ProtocolError } from './errors.js';
import { decodeMarker } from './non-finite.js';

export type Obj = Record<string, unknown>;

export function fail(path: string, problem: string): never {
  throw new ProtocolError(path, problem);
}

/** A short description of an offending value for error messages. */
export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  switch (typeof x) {
    case 'string': {
      const s = JSON.stringify(x);
      return s.length > 42 ? `${s.slice(0, 40)}…" (${x.length} characters)` : s;
    }
    case 'number':
      return String(x);
    case 'object':
      return 'an object';
    default:
      return `a ${typeof x}`;
  }
}

function wrong(value: unknown, path: string, expected: string): never {
  if (value === undefined) fail(path, `missing, expected ${expected}`);
  fail(path, `expected ${expected}, got ${describe(value)}`);
}

export function isObject(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** `x` itself, checked to be a (non-array) object; `path` is its full path. */
export function asObject(x: unknown, path: string): Obj {
  if (!isObject(x)) wrong(x, path, 'an object');
  return x;
}

export function obj(o: Obj, key: string, path: string): Obj {
  const v = o[key];
  if (!isObject(v)) wrong(v, `${path}.${key}`, 'an object');
  return v;
}

/** `o[key]` as an object, or null; `path` of the object that holds it. */
export function nullableObj(o: Obj, key: string, path: string): Obj | null {
  const v = o[key];
  if (v === null) return null;
  if (!isObject(v)) wrong(v, `${path}.${key}`, 'an object or null');
  return v;
}

export function str(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string') wrong(v, `${path}.${key}`, 'a string');
  return v;
}

export function nonEmptyStr(o: Obj, key: string, path: string): string {
  const v = str(o, key, path);
  if (v.length === 0) fail(`${path}.${key}`, 'expected a non-empty string');
  return v;
}

export function nullableStr(o: Obj, key: string, path: string): string | null {
  const v = o[key];
  if (v === null) return null;
  if (typeof v !== 'string') wrong(v, `${path}.${key}`, 'a string or null');
  return v;
}

/** An optional string: absent (or undefined) is fine. */
export function optionalStr(o: Obj, key: string, path: string): void {
  const v = o[key];
  if (v !== undefined && typeof v !== 'string') wrong(v, `${path}.${key}`, 'a string');
}

export function oneOf<T extends string>(o: Obj, key: string, path: string, values: readonly T[]): T {
  const v = o[key];
  if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
  wrong(v, `${path}.${key}`, `one of ${values.map((s) => `"${s}"`).join(', ')}`);
}

/** A number, NaN and ±Infinity included (as numbers or markers). */
export function num(o: Obj, key: string, path: string): number {
  const v = o[key];
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = decodeMarker(v);
    if (n !== undefined) {
      o[key] = n;
      return n;
    }
  }
  wrong(v, `${path}.${key}`, 'a number');
}

export function nullableNum(o: Obj, key: string, path: string): number | null {
  if (o[key] === null) return null;
  return num(o, key, path);
}

export function optionalNum(o: Obj, key: string, path: string): void {
  if (o[key] !== undefined) num(o, key, path);
}

/** A finite number ≥ 0 (times, durations). */
export function finiteNonNegative(o: Obj, key: string, path: string): number {
  const v = o[key];
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  wrong(v, `${path}.${key}`, 'a finite number ≥ 0');
}

/** Absent, or a finite number ≥ 0; with `nullable`, null too. */
export function optionalFiniteNonNegative(o: Obj, key: string, path: string, nullable = false): void {
  if (o[key] === undefined || (nullable && o[key] === null)) return;
  const v = o[key];
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return;
  wrong(v, `${path}.${key}`, `a finite number ≥ 0${nullable ? ' or null' : ''}, or no field`);
}

/** An integer ≥ 0 (counts, indices, sizes). */
export function count(o: Obj, key: string, path: string): number {
  const v = o[key];
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  wrong(v, `${path}.${key}`, 'an integer ≥ 0');
}

export function nullableCount(o: Obj, key: string, path: string): number | null {
  if (o[key] === null) return null;
  const v = o[key];
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  wrong(v, `${path}.${key}`, 'an integer ≥ 0 or null');
}

export function arr(o: Obj, key: string, path: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) wrong(v, `${path}.${key}`, 'an array');
  return v;
}

/** An array of numbers (non-finite included); markers are decoded in place. */
export function numArray(o: Obj, key: string, path: string): number[] {
  const a = arr(o, key, path);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v === 'number') continue;
    const n = typeof v === 'string' ? decodeMarker(v) : undefined;
    if (n === undefined) wrong(v, `${path}.${key}[${i}]`, 'a number');
    a[i] = n;
  }
  return a as number[];
}

export function strArray(o: Obj, key: string, path: string): string[] {
  const a = arr(o, key, path);
  for (let i = 0; i < a.length; i++) {
    if (typeof a[i] !== 'string') wrong(a[i], `${path}.${key}[${i}]`, 'a string');
  }
  return a as string[];
}

/** An object whose every own value is a number (markers decoded in place). */
export function numRecord(o: Obj, key: string, path: string): void {
  const r = obj(o, key, path);
  const p = `${path}.${key}`;
  for (const k of Object.keys(r)) num(r, k, p);
}

/** An object whose every own value is a string. */
export function strRecord(o: Obj, key: string, path: string): void {
  const r = obj(o, key, path);
  for (const k of Object.keys(r)) str(r, k, `${path}.${key}`);
}

/** Nesting beyond this is refused: it only serves to blow the stack of whoever walks it. */
const MAX_JSON_DEPTH = 32;

/** Plain JSON with finite numbers only (they are not decoded, so must not be non-finite). */
export function plainJson(v: unknown, path: string, depth = 0): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail(path, `expected a finite number (plain JSON), got ${v}`);
    return;
  }
  if (depth >= MAX_JSON_DEPTH) fail(path, `nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) plainJson(v[i], `${path}[${i}]`, depth + 1);
    return;
  }
  if (isObject(v)) {
    for (const k of Object.keys(v)) plainJson(v[k], `${path}.${k}`, depth + 1);
    return;
  }
  fail(path, `expected plain JSON, got ${describe(v)}`);
}
