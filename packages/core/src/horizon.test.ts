import { describe, expect, it } from 'vitest';
import { gradientHorizon, gradientRatio } from './horizon.js';

describe('gradientHorizon', () => {
  it('counts back from T while ‖∂L/∂s_t‖ stays within 10× of ‖∂L/∂s_T‖', () => {
    // T = 6, gradient halving each step back: g_t = 2^{t−6}. Within 10×: g_6 = 1,
    // g_5 = 0.5, g_4 = 0.25, g_3 = 0.125 (all ≥ 0.1); g_2 = 0.0625 < 0.1 ends it → 4 steps.
    const g = [0, 1, 2, 3, 4, 5, 6].map((t) => 2 ** (t - 6));
    const h = gradientHorizon(g, Math.log(0.5));
    expect(h).toEqual({ steps: 4, of: 6, factor: 10, timeScale: 1 / Math.log(2) });
  });

  it('a growing gradient leaves the band too, and a flat one is felt all the way', () => {
    // g_t = 3^{6−t}: g_5 = 3, g_4 = 9 (≤ 10), g_3 = 27 > 10 → 3 steps.
    expect(gradientHorizon([0, 1, 2, 3, 4, 5, 6].map((t) => 3 ** (6 - t)), 0.2).steps).toBe(3);
    expect(gradientHorizon([1, 1, 1, 1], 0).steps).toBe(3);
    expect(gradientHorizon([1, 1, 1, 1], 0).timeScale).toBe(Infinity);
  });

  it('the first state outside the band ends it, even if earlier ones come back', () => {
    // Back from T = 4: g_4 = 1, g_3 = 0.5, g_2 = 0.01 (out), g_1 = 1 does not count.
    expect(gradientHorizon([1, 1, 0.01, 0.5, 1], -1).steps).toBe(2);
  });

  it('null steps without gradient norms or with a non-finite one; a stated factor is used', () => {
    expect(gradientHorizon(null, -0.1).steps).toBeNull();
    expect(gradientHorizon([1, NaN, 1], -0.1).steps).toBeNull();
    expect(gradientHorizon([1, 1, 0], -0.1).steps).toBeNull();
    // Factor 2: g = [_, 0.3, 0.6, 1] → g_3, g_2 in, g_1 = 0.3 < 0.5 out → 2.
    expect(gradientHorizon([0.1, 0.3, 0.6, 1], -0.5, 2).steps).toBe(2);
    expect(() => gradientHorizon([1, 1], 0, 1)).toThrow(/factor must be a finite number > 1/);
  });

  it('gradientRatio is gradNorm[0] / gradNorm[T]', () => {
    expect(gradientRatio([0.02, 0.5, 2])).toBe(0.01);
    expect(() => gradientRatio([1])).toThrow(/at least 2 values/);
  });
});
