/**
 * The one idiom every gradscope package checks its options with: a table of
 * checks, one per known option, each saying what the option must be. The
 * error names the function, the option, the value given and what is wanted,
 * so a bad call is diagnosed from the message alone:
 *
 *   gradscope: unknown option 'evrey' (known: probe, layers, every, …)
 *   measureModel: option 'k' must be a positive integer, got 2.5
 *
 * Always a TypeError: some callers already threw TypeError and others Error,
 * and a TypeError is still an Error, so code that catches either keeps working.
 * It lives here because every package depends on @gradscope/protocol.
 */

/** What the option must be (words that follow "must be"), or null when the value will do. */
export type OptionCheck = (value: unknown) => string | null;

/** A value as an error message shows it: strings quoted, objects as short JSON. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined; // cyclic, or holds a BigInt
    }
    if (json === undefined) return Object.prototype.toString.call(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  }
  return String(value);
}

/** Rejects keys the function does not know: a typo would otherwise be silently ignored. `prefix` names a nested object ('autoClip.'). */
export function rejectUnknownOptions(fn: string, options: object, known: readonly string[], prefix = ''): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`${fn}: unknown option '${prefix}${key}' (known: ${known.join(', ')})`);
  }
}

/**
 * Checks `options` (undefined counts as {}) against `checks`: it must be an
 * object, every key must have a check, and every value that is not
 * undefined must pass its check. `example` shows a good call in the error
 * for options that are not an object.
 */
export function checkOptions(fn: string, options: unknown, checks: Readonly<Record<string, OptionCheck>>, example?: string): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${fn}: options must be an object${example ? `, e.g. ${example}` : ''}; got ${showValue(options)}`);
  }
  rejectUnknownOptions(fn, options, Object.keys(checks));
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const wanted = checks[key]!(value);
    if (wanted !== null) throw new TypeError(`${fn}: option '${key}' must be ${wanted}, got ${showValue(value)}`);
  }
}
