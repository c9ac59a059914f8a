import { describe, expect, it } from 'vitest';
import { TopSingularValueTracker } from './small-svd.js';
import { gaussianMatrix, matmul64, normalSource, topSingularValue } from './test-helpers/linalg64.js';

describe('TopSingularValueTracker', () => {
  it('follows σ_max of a rescaled product sequence to 1e-13 relative (warm-started Jacobi vs cold Jacobi reference)', () => {
    // Both sides are float64 Jacobi, accurate to a few ulps of ‖M‖; 1e-13
    // leaves room for k = 12 accumulated rounding but catches any stale V.
    for (const k of [1, 2, 5, 12]) {
      const next = normalSource(k);
      const tracker = new TopSingularValueTracker(k);
      let m: Float64Array = new Float64Array(k * k);
      for (let i = 0; i < k; i++) m[i * k + i] = 1;
      for (let t = 0; t < 200; t++) {
        m = matmul64(gaussianMatrix(k, k, next), m, k, k, k);
        const big = m.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
        m = m.map((x) => x / big);
        const exact = topSingularValue(m, k, k);
        expect(Math.abs(tracker.update(m) - exact) / exact).toBeLessThan(1e-13);
      }
    }
  });

  it('zero matrix → 0, non-finite entry → NaN without poisoning later calls', () => {
    const tracker = new TopSingularValueTracker(2);
    expect(tracker.update([0, 0, 0, 0])).toBe(0);
    expect(tracker.update([1, NaN, 0, 1])).toBeNaN();
    expect(tracker.update([3, 0, 0, 4])).toBeCloseTo(4, 14);
  });
});
