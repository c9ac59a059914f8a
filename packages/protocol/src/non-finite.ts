/**
 * JSON has no NaN or Infinity (JSON.stringify writes `null` for them, which
 * would turn "this layer diverged" into "no data"). gradscope writes them as
 * the strings "NaN", "Infinity" and "-Infinity" in places where the protocol
 * expects a number, and the validator turns them back into numbers because it
 * knows which fields are numeric. A string field that happens to read "NaN" (a
 * layer called NaN) stays a string: the schema, not the text, decides.
 *
 * Why not a tagged object like {"$float": "NaN"}: the plain strings keep
 * number arrays readable (`[0.98, "NaN", 1.02]`), stay one token in `jq` and
 * spreadsheets, and any JSON parser reads them.
 */
export const NON_FINITE_MARKERS = ['NaN', 'Infinity', '-Infinity'] as const;
export type NonFiniteMarker = (typeof NON_FINITE_MARKERS)[number];

/** The marker for a non-finite number, or the number itself. */
export function encodeNumber(x: number): number | NonFiniteMarker {
  if (Number.isFinite(x)) return x;
  return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
}

/** The number a marker stands for, or undefined for any other string. */
export function decodeMarker(s: string): number | undefined {
  switch (s) {
    case 'NaN':
      return NaN;
    case 'Infinity':
      return Infinity;
    case '-Infinity':
      return -Infinity;
    default:
      return undefined;
  }
}
