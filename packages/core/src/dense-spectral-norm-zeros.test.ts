import { describe, expect, it } from 'vitest';
import { denseSpectralNorm } from './dense-spectral-norm.js';
import { gaussianMatrix, normalSource, topSingularValue } from './test-helpers/linalg64.js';

// The Gram matrix is summed four rows at a time except where a row's entry
// is zero (then row by row, skipping the zero terms) and for the last
// rows % 4 rows: matrices with zeros scattered, in a triangle, and row
// counts that are not multiples of four, against the test helpers' Jacobi SVD.
describe('denseSpectralNorm with zero entries and odd row counts', () => {
  it('equals the Jacobi SVD on sparse, triangular and 4q + r row matrices', () => {
    const next = normalSource(31);
    const sparse = gaussianMatrix(37, 37, next).map((x, i) => (i % 3 === 0 || i % 7 === 0 ? 0 : x));
    const triangular = gaussianMatrix(21, 21, next).map((x, i) => (i % 21 < Math.floor(i / 21) ? 0 : x));
    const cases: [Float64Array, number, number][] = [
      [sparse, 37, 37],
      [triangular, 21, 21],
      [gaussianMatrix(6, 5, next), 6, 5],
      [gaussianMatrix(3, 8, next), 3, 8],
      [gaussianMatrix(9, 9, next).map((x, i) => (i >= 36 ? 0 : x)), 9, 9], // zero rows at the end
    ];
    for (const [a, m, n] of cases) {
      const exact = topSingularValue(a, m, n);
      expect(Math.abs(denseSpectralNorm(a, m, n) - exact) / exact, `${m}×${n}`).toBeLessThan(1e-12);
    }
  });
});
