/**
 * The wire form of an event: one line of JSON, with NaN and ±Infinity written
 * as the strings "NaN", "Infinity", "-Infinity" (see non-finite.ts) and read
 * back by the validator, which knows the numeric fields.
 */
import { ProtocolError } from './errors.js';
import type { GradscopeEvent } from './events.js';
import { encodeNumber } from './non-finite.js';
import { validateEvent } from './validate.js';

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? encodeNumber(value) : value;
}

/** Whether any number inside `x` is NaN or ±Infinity (a plain walk, no allocation). */
function hasNonFinite(x: unknown): boolean {
  if (typeof x === 'number') return !Number.isFinite(x);
  if (typeof x !== 'object' || x === null) return false;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) if (hasNonFinite(x[i])) return true;
    return false;
  }
  for (const k in x) if (hasNonFinite((x as Record<string, unknown>)[k])) return true;
  return false;
}

/**
 * One line of JSON (no newline inside or at the end). Does not validate:
 * producers are trusted on the hot path; their tests call validateEvent.
 * A replacer costs a native-to-JS call per value (it nearly doubles the time
 * of a large measurement), so it is only used when a non-finite number is there.
 */
export function encodeEvent(event: GradscopeEvent): string {
  return hasNonFinite(event) ? JSON.stringify(event, replacer) : JSON.stringify(event);
}

/** Parses and validates one encoded event; throws ProtocolError on bad JSON or a bad event. */
export function decodeEvent(text: string): GradscopeEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ProtocolError('event', `invalid JSON (${(err as Error).message})`);
  }
  return validateEvent(parsed);
}
