import { describe, expect, it } from 'vitest';
import { denseSpectralNorm } from './dense-spectral-norm.js';
import { gaussianMatrix, normalSource, randomOrthogonal, topSingularValue } from './test-helpers/linalg64.js';

// Against the float64 one-sided Jacobi SVD of the test helpers, which shares
// no code with the Gram/Householder/Sturm route.
describe('denseSpectralNorm', () => {
  it('equals the Jacobi SVD on Gaussian, rectangular, orthogonal and rank-one matrices', () => {
    const next = normalSource(21);
    const cases: [Float64Array, number, number][] = [
      [gaussianMatrix(1, 1, next), 1, 1],
      [gaussianMatrix(2, 2, next), 2, 2],
      [gaussianMatrix(40, 40, next), 40, 40],
      [gaussianMatrix(30, 12, next, 1e-30), 30, 12],
      [gaussianMatrix(12, 30, next, 1e30), 12, 30],
      [randomOrthogonal(64, next).map((x) => 3 * x), 64, 64],
    ];
    const u = gaussianMatrix(20, 1, next);
    const w = gaussianMatrix(1, 20, next);
    cases.push([Float64Array.from({ length: 400 }, (_, k) => (u[Math.floor(k / 20)] as number) * (w[k % 20] as number)), 20, 20]);
    for (const [a, m, n] of cases) {
      const exact = topSingularValue(a, m, n);
      expect(Math.abs(denseSpectralNorm(a, m, n) - exact) / exact).toBeLessThan(1e-12);
    }
  });

  it('zero gives 0, a non-finite entry NaN, and a wrong size names the sizes', () => {
    expect(denseSpectralNorm(new Float64Array(9), 3, 3)).toBe(0);
    expect(denseSpectralNorm([1, Infinity, 0, 1], 2, 2)).toBeNaN();
    expect(denseSpectralNorm([1, NaN, 0, 1], 2, 2)).toBeNaN();
    expect(() => denseSpectralNorm([1, 2, 3], 2, 2)).toThrow(/expected 2×2 = 4 entries for a 2×2 matrix, got 3/);
  });
});
