import { describe, expect, it } from 'vitest';
import { TopSingularValueTracker } from './small-svd.js';
import { gaussianMatrix, matmul64, normalSource, randomOrthogonal, topSingularValue } from './test-helpers/linalg64.js';

// The hard cases for σ_max of a small matrix, each against the test helpers'
// float64 one-sided Jacobi SVD (no code shared with the Gram/Householder/Sturm
// route), to a few ulps: the propagation's logProduct is ln σ_max plus a
// kept log scale, so an error here is an error in logProduct.
const ULPS = 64 * Number.EPSILON;
const relative = (a: number, b: number) => Math.abs(a - b) / b;

/** Q diag(sigma) Pᵀ with random orthogonal Q, P: a k×k matrix with exactly these singular values (to rounding). */
function withSingularValues(sigma: number[], next: () => number): Float64Array {
  const k = sigma.length;
  const q = randomOrthogonal(k, next);
  const p = randomOrthogonal(k, next);
  const qs = q.map((x, i) => x * (sigma[i % k] as number));
  const pt = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) pt[i * k + j] = p[j * k + i] as number;
  return matmul64(qs, pt, k, k, k);
}

describe('TopSingularValueTracker: hard cases against a Jacobi SVD', () => {
  it('equal top singular values, a full cluster, rank one and rank deficient, one entry', () => {
    const next = normalSource(5);
    const cases: [string, number[]][] = [
      ['orthogonal (all σ = 1)', [1, 1, 1, 1, 1, 1, 1, 1]],
      ['top pair equal', [2, 2, 1, 0.5, 0.1, 0.1, 0.01, 0]],
      ['cluster within 1e-12', [1, 1 - 1e-12, 1 - 2e-12, 0.3, 0.2, 0.1, 0, 0]],
      ['rank one', [3, 0, 0, 0, 0, 0, 0, 0]],
      ['rank deficient', [1, 0.5, 0.25, 0, 0, 0, 0, 0]],
      ['spread over 1e-300', [1, 1e-100, 1e-200, 1e-300, 0, 0, 0, 0]],
    ];
    for (const [name, sigma] of cases) {
      const m = withSingularValues(sigma, next);
      const exact = topSingularValue(m, 8, 8);
      expect(relative(new TopSingularValueTracker(8).update(m), exact), name).toBeLessThan(ULPS);
      expect(relative(exact, sigma[0] as number), `${name}: the reference itself`).toBeLessThan(1e-13);
    }
    expect(new TopSingularValueTracker(1).update([-2.5])).toBe(2.5);
  });

  it('the propagation\'s case: upper-triangular products rescaled to max entry 1, at huge and tiny scales', () => {
    // Products of triangular factors whose diagonals span many decades, as
    // long Benettin runs produce: σ_max must not feel the tiny directions.
    for (const scale of [1, 1e-150, 1e150]) {
      const next = normalSource(9);
      const k = 8;
      const tracker = new TopSingularValueTracker(k);
      let m: Float64Array = new Float64Array(k * k);
      for (let i = 0; i < k; i++) m[i * k + i] = 1;
      for (let t = 0; t < 300; t++) {
        const r = new Float64Array(k * k);
        for (let i = 0; i < k; i++) for (let j = i; j < k; j++) r[i * k + j] = i === j ? Math.exp(-0.3 * i) * (1 + 0.1 * Math.abs(next())) : 0.2 * next();
        m = matmul64(r, m, k, k, k);
        const big = m.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
        m = m.map((x) => x / big);
        // The reference at scale 1 (its own sums of squares would overflow at 1e150), times the scale.
        const exact = scale * topSingularValue(m, k, k);
        expect(relative(tracker.update(m.map((x) => x * scale)), exact)).toBeLessThan(ULPS);
      }
    }
  });

  it('non-finite entries give NaN, a zero matrix 0, and neither changes the next answer', () => {
    const next = normalSource(13);
    const m = gaussianMatrix(5, 5, next);
    const exact = topSingularValue(m, 5, 5);
    const tracker = new TopSingularValueTracker(5);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const poisoned = Float64Array.from(m);
      poisoned[7] = bad;
      expect(tracker.update(poisoned)).toBeNaN();
      expect(relative(tracker.update(m), exact)).toBeLessThan(ULPS);
    }
    expect(tracker.update(new Float64Array(25))).toBe(0);
    expect(relative(tracker.update(m), exact)).toBeLessThan(ULPS);
  });
});
