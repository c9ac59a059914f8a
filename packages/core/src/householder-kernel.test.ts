import { describe, expect, it } from 'vitest';
import { denseSpectralNorm } from './dense-spectral-norm.js';
import { gramTridiagonal } from './householder-kernel.js';
import { topEigenvalue } from './tridiagonal.js';
import { gaussianMatrix, normalSource, randomOrthogonal, topSingularValue } from './test-helpers/linalg64.js';

// float32 matrices (what a recurrent kernel read from the device is), against
// the test helpers' float64 Jacobi SVD of the same float32 values, which shares
// no code with the Gram/Householder/Sturm route.
describe('gramTridiagonal: denseSpectralNorm\'s reduction in WebAssembly', () => {
  const next = normalSource(41);
  const u = gaussianMatrix(20, 1, next);
  const w = gaussianMatrix(1, 20, next);
  const cases: [string, Float64Array, number, number][] = [
    ['1×1', gaussianMatrix(1, 1, next), 1, 1],
    ['2×2', gaussianMatrix(2, 2, next), 2, 2],
    ['3×3', gaussianMatrix(3, 3, next), 3, 3],
    ['40×40', gaussianMatrix(40, 40, next), 40, 40],
    ['129×129 (odd tails)', gaussianMatrix(129, 129, next, 0.09), 129, 129],
    ['128×128 orthogonal × 3', randomOrthogonal(128, next).map((x) => 3 * x), 128, 128],
    ['30×12, entries ~1e-30', gaussianMatrix(30, 12, next, 1e-30), 30, 12],
    ['12×30, entries ~1e30', gaussianMatrix(12, 30, next, 1e30), 12, 30],
    ['rank one', Float64Array.from({ length: 400 }, (_, k) => u[Math.floor(k / 20)]! * w[k % 20]!), 20, 20],
    ['sparse', gaussianMatrix(37, 37, next).map((x, i) => (i % 3 === 0 || i % 7 === 0 ? 0 : x)), 37, 37],
    ['triangular', gaussianMatrix(21, 21, next).map((x, i) => (i % 21 < Math.floor(i / 21) ? 0 : x)), 21, 21],
    ['zero rows at the end', gaussianMatrix(9, 9, next).map((x, i) => (i >= 36 ? 0 : x)), 9, 9],
  ];

  it('the top eigenvalue of its tridiagonal is σ_max² to 1e-12, and denseSpectralNorm gives σ_max from it', () => {
    for (const [name, values, m, n] of cases) {
      const a = Float32Array.from(values);
      const exact = topSingularValue(a, m, n);
      const scale = Math.max(...a.map(Math.abs));
      const reduced = gramTridiagonal(a, m, n, scale);
      expect(reduced, name).not.toBeNull();
      const sigma = scale * Math.sqrt(topEigenvalue(reduced!.d, reduced!.e, n));
      expect(Math.abs(sigma - exact) / exact, name).toBeLessThan(1e-12);
      expect(Math.abs(denseSpectralNorm(a, m, n) - exact) / exact, name).toBeLessThan(1e-12);
    }
  });

  it('the JavaScript reduction of the same float32 matrices agrees with it to rounding', () => {
    for (const [name, values, m, n] of cases) {
      const a = Float32Array.from(values);
      const js = denseSpectralNorm(Array.from(a), m, n); // a plain array: the JavaScript path
      const kernel = denseSpectralNorm(a, m, n);
      expect(Math.abs(kernel - js) / js, name).toBeLessThan(1e-13);
    }
  });

  it('entries 77 decades apart: σ, not NaN (2/vᵀv overflowed), on both paths; and the next call is unharmed', () => {
    // [[3e-40, 3e-40, 0], [0, 0, 3e38]]: scaled by 3e38, the Gram matrix's first column is ~1e-156
    // and vᵀv subnormal. σ_max is the float32 3e38 to far below rounding (σ₂ ≈ 4e-40).
    const extreme = new Float32Array([3e-40, 3e-40, 0, 0, 0, 3e38]);
    const expected = Math.fround(3e38);
    expect(Math.abs(denseSpectralNorm(extreme, 2, 3) - expected) / expected).toBeLessThan(1e-15);
    expect(Math.abs(denseSpectralNorm(Array.from(extreme), 2, 3) - expected) / expected).toBeLessThan(1e-15);
    // A review's sequence: a larger such matrix, then an ordinary one (the kernel once read scratch
    // memory it had not written, and a NaN left there by the first call spoiled the second).
    const wide = new Float32Array(1600);
    wide[0] = 3e-40;
    wide[1] = 3e-40;
    for (let i = 2; i < 40; i++) wide[i * 41] = 3e38;
    expect(denseSpectralNorm(wide, 40, 40)).toBeGreaterThan(0);
    const ordinary = Float32Array.from({ length: 39 * 20 }, (_, i) => Math.sin(i + 1));
    const exact = topSingularValue(ordinary, 39, 20);
    for (let i = 0; i < 3; i++) expect(Math.abs(denseSpectralNorm(ordinary, 39, 20) - exact) / exact).toBeLessThan(1e-12);
  });
});
