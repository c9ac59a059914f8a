import { describe, expect, it } from 'vitest';
import { summarize, summarizeScalar } from './summarize.js';

describe('summarize', () => {
  it('mean, min and max over samples per index', () => {
    expect(
      summarize([
        [1, 2, 3],
        [3, -2, 3],
        [2, 0, 6],
      ]),
    ).toEqual({ mean: [2, 0, 4], min: [1, -2, 3], max: [3, 2, 6] });
  });

  it('a NaN sample makes mean, min and max NaN at that index only', () => {
    const s = summarize([
      [1, NaN],
      [2, 5],
    ]);
    expect(s.mean[0]).toBe(1.5);
    expect(s.mean[1]).toBeNaN();
    expect(s.min[1]).toBeNaN();
    expect(s.max[1]).toBeNaN();
    // NaN first or last must not matter (Math.min-style skipping would differ).
    const t = summarize([[5], [NaN]]);
    expect(t.min[0]).toBeNaN();
    expect(t.max[0]).toBeNaN();
  });

  it('infinities follow IEEE arithmetic', () => {
    const s = summarize([
      [-Infinity, Infinity, -Infinity],
      [1, 1, Infinity],
    ]);
    expect(s.mean).toEqual([-Infinity, Infinity, NaN]);
    expect(s.min).toEqual([-Infinity, 1, -Infinity]);
    expect(s.max).toEqual([1, Infinity, Infinity]);
  });

  it('large finite values do not overflow the mean', () => {
    expect(summarize([[1e308], [1e308]]).mean[0]).toBe(1e308);
  });

  it('rejects empty and ragged input', () => {
    expect(() => summarize([])).toThrow(/summarize: need at least one sample/);
    expect(() => summarize([[1, 2], [3]])).toThrow(/summarize: sample 1 has length 1, sample 0 has 2/);
  });
});

describe('summarizeScalar', () => {
  it('summarises one value per sample, with the same non-finite rules', () => {
    expect(summarizeScalar([2, 4, 9])).toEqual({ mean: 5, min: 2, max: 9 });
    expect(summarizeScalar([-Infinity, 1])).toEqual({ mean: -Infinity, min: -Infinity, max: 1 });
    const n = summarizeScalar([1, NaN, 3]);
    expect([n.mean, n.min, n.max].every(Number.isNaN)).toBe(true);
    expect(() => summarizeScalar([])).toThrow(/summarizeScalar: need at least one sample/);
  });
});
