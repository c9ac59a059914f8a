/** Comparing two measurement records number by number (tests of where a measurement runs). */
import { expect } from 'vitest';

/** Every number in `a` and `b`, walked in parallel; the largest relative difference (scale floor 1e-3). */
export function worstRelative(a: unknown, b: unknown, path = ''): { diff: number; path: string } {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return { diff: Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity, path };
    if (a === b) return { diff: 0, path };
    return { diff: Math.abs(a - b) / Math.max(1e-3, Math.abs(a), Math.abs(b)), path };
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    expect(Object.keys(a).sort(), path).toEqual(Object.keys(b).sort());
    let worst = { diff: 0, path };
    for (const key of Object.keys(a)) {
      const w = worstRelative((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${path}.${key}`);
      if (w.diff > worst.diff) worst = w;
    }
    return worst;
  }
  expect(a, path).toEqual(b);
  return { diff: 0, path };
}
