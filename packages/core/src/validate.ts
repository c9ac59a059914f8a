import { rejectUnknownOptions } from '@gradscope/protocol';

/**
 * Option checks shared by the public functions. Each error names the function
 * and the option and shows the offending value, so a bad call is diagnosed
 * from the message alone; a TypeError, as from the protocol's checkOptions
 * (the unknown-option check is that idiom's). The wording "option k must be"
 * (no quotes) is core's own, kept because callers match on it.
 */

export function checkInteger(fn: string, name: string, value: unknown, min: number, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new TypeError(`${fn}: option ${name} must be an integer ${range}, got ${String(value)}`);
  }
  return value;
}

export function checkNonNegative(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new TypeError(`${fn}: option ${name} must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

export function checkShape(fn: string, name: string, shape: readonly number[], expected: readonly number[]): void {
  if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
    throw new TypeError(`${fn}: ${name} must have shape [${expected.join(', ')}], got [${shape.join(', ')}]`);
  }
}

/** Rejects option keys the function does not know (a typo would otherwise be silently ignored). */
export function checkKnownKeys(fn: string, options: object, known: readonly string[]): void {
  rejectUnknownOptions(fn, options, known);
}
