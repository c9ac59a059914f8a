import { describe, expect, it } from 'vitest';
import { smooth } from './smoothing.js';

describe('smoothing (TensorBoard EMA with debiasing)', () => {
  it('matches values computed by hand', () => {
    // w = 0.5: a = 0.5, 1.25, 2.125; divided by 1 − 0.5ⁿ = 0.5, 0.75, 0.875.
    const s = smooth([1, 2, 3], 0.5);
    expect(s[0]).toBeCloseTo(1, 14);
    expect(s[1]).toBeCloseTo(5 / 3, 14);
    expect(s[2]).toBeCloseTo(17 / 7, 14);
    // w = 0.9 on a step from 0 to 10: the first point is the data itself (debiased);
    // a_1 = 0.1·0 = 0, a_2 = 0.9·0 + 0.1·10 = 1, debiased by 1 − 0.9² = 0.19 → 1/0.19.
    const t = smooth([0, 10], 0.9);
    expect(t).toEqual([0, expect.closeTo(1 / 0.19, 12)]);
  });
  it('is the identity at weight 0 and leaves a constant series exact', () => {
    expect(smooth([3, 1, 4, 1, 5], 0)).toEqual([3, 1, 4, 1, 5]);
    expect(smooth([0.1, 0.1, 0.1], 0.9)).toEqual([0.1, 0.1, 0.1]);
  });
  it('passes NaN, ±∞ and gaps through without letting them into the average', () => {
    // [1, NaN, 3] at w = 0.5: the NaN is kept, and 3 is the second finite value: (0.25 + 1.5)/0.75.
    const s = smooth([1, NaN, 3, null, Infinity], 0.5);
    expect(s[0]).toBe(1);
    expect(s[1]).toBeNaN();
    expect(s[2]).toBeCloseTo(7 / 3, 14);
    expect(s[3]).toBeNull();
    expect(s[4]).toBe(Infinity);
  });
  it('rejects a weight outside [0, 0.999] and says which range is allowed', () => {
    expect(() => smooth([1], 1)).toThrow(/smoothing weight must be in \[0, 0.999\], got 1/);
    expect(() => smooth([1], -0.1)).toThrow(/got -0.1/);
    expect(() => smooth([1], NaN)).toThrow(/got NaN/);
  });
});
