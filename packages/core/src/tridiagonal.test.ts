import { describe, expect, it } from 'vitest';
import { bidiagonalGram, bidiagonalTopSingularValue, sturmCount, topEigenvalue, topEigenvalueAbove, tridiagonalEigenvector } from './tridiagonal.js';
import { jacobiSingularValues, normalSource } from './test-helpers/linalg64.js';

/** Dense row-major copy of the tridiagonal (d, e). */
function dense(d: Float64Array, e: Float64Array): Float64Array {
  const m = d.length;
  const a = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    a[i * m + i] = d[i]!;
    if (i < m - 1) {
      a[i * m + i + 1] = e[i]!;
      a[(i + 1) * m + i] = e[i]!;
    }
  }
  return a;
}

/** A random upper bidiagonal B (as the Golub–Kahan α, β) and its dense form. */
function randomBidiagonal(m: number, seed: number) {
  const next = normalSource(seed);
  const alpha = Float64Array.from({ length: m }, () => Math.abs(next()) + 0.1);
  const beta = Float64Array.from({ length: m - 1 }, () => next());
  const b = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    b[i * m + i] = alpha[i]!;
    if (i < m - 1) b[i * m + i + 1] = beta[i]!;
  }
  return { alpha, beta, b };
}

describe('tridiagonal eigenproblems (float64)', () => {
  it('top eigenvalue of BᵀB = σ_max(B)², to 1e-14 relative, m = 1..40', () => {
    // Bisection stops at 2ε relative width, and the Jacobi reference is accurate
    // to a few ulps: 1e-14 leaves a margin of ~20 ulps.
    for (const m of [1, 2, 3, 7, 20, 40]) {
      for (const seed of [1, 2]) {
        const { alpha, beta, b } = randomBidiagonal(m, seed * 50 + m);
        const { d, e } = bidiagonalGram(alpha, beta, m);
        const sigma = jacobiSingularValues(b, m, m)[0]!;
        expect(Math.abs(topEigenvalue(d, e, m) - sigma * sigma) / (sigma * sigma)).toBeLessThan(1e-14);
        expect(Math.abs(bidiagonalTopSingularValue(alpha, beta, m) - sigma) / sigma).toBeLessThan(1e-14);
      }
    }
  });

  it('top eigenvalue from a lower bound (a leading block\'s): the Jacobi answer to 1e-13, and bad bounds fall back', () => {
    // The convergence checks of the batched Lanczos start from the previous
    // check's Ritz value: σ_max of the leading i×i block of the same B.
    // The search stops at a relative width of 1e-13 (half of it from the
    // midpoint); the Sturm counts' rounding leaves even topEigenvalue 1e-14
    // from the Jacobi reference at m = 32: bound 1e-13.
    for (const m of [2, 5, 12, 32, 40]) {
      const { alpha, beta, b } = randomBidiagonal(m, 700 + m);
      const { d, e } = bidiagonalGram(alpha, beta, m);
      const exact = jacobiSingularValues(b, m, m)[0]! ** 2;
      for (const i of [1, Math.max(1, m - 4), m - 1]) {
        const lower = bidiagonalTopSingularValue(alpha, beta, i);
        expect(Math.abs(topEigenvalueAbove(d, e, m, lower * lower) - exact) / exact).toBeLessThan(1e-13);
        expect(Math.abs(bidiagonalTopSingularValue(alpha, beta, m, lower) ** 2 - exact) / exact).toBeLessThan(1e-13);
      }
      // Not lower bounds: above λ_max by a rounding error and by far, NaN, 0, negative.
      for (const bad of [exact * (1 + 1e-15), exact * 3, NaN, 0, -1]) {
        expect(Math.abs(topEigenvalueAbove(d, e, m, bad) - exact) / exact).toBeLessThan(1e-13);
      }
    }
    // A lower bound equal to λ_max (the Ritz value has converged), and a zero matrix.
    const { d, e } = bidiagonalGram([2, 1, 0.5], [0.1, 0.2], 3);
    const top = topEigenvalue(d, e, 3);
    expect(topEigenvalueAbove(d, e, 3, top)).toBeCloseTo(top, 14);
    expect(topEigenvalueAbove(new Float64Array(3), new Float64Array(2), 3, 0)).toBe(0);
    expect(topEigenvalueAbove(new Float64Array([1, NaN]), new Float64Array([0]), 2, 0.5)).toBeNaN();
  });

  it('top eigenvalue from a lower bound agrees with plain bisection to 1e-13 on 300 Lanczos-like bidiagonals, clustered ones included', () => {
    // Clustered: α ≈ 1 within 1e-6 and tiny β, the shape of a fresh
    // SimpleRNN's Lanczos coefficients, where Newton converges only linearly
    // and must hand over to bisection.
    const next = normalSource(99);
    for (let trial = 0; trial < 300; trial++) {
      const m = 4 + (trial % 45);
      const clustered = trial % 3 === 0;
      const alpha = Float64Array.from({ length: m }, () => (clustered ? 1 + 1e-6 * next() : Math.abs(next()) + 0.1));
      const beta = Float64Array.from({ length: m - 1 }, () => (clustered ? 1e-4 * next() : next()));
      const { d, e } = bidiagonalGram(alpha, beta, m);
      const reference = topEigenvalue(d, e, m);
      const lower = bidiagonalTopSingularValue(alpha, beta, Math.max(1, m - 1 - (trial % 4)));
      expect(Math.abs(topEigenvalueAbove(d, e, m, lower * lower) - reference) / reference).toBeLessThan(1e-13);
    }
  });

  it('Sturm count matches the Jacobi spectrum', () => {
    const { alpha, beta, b } = randomBidiagonal(9, 3);
    const { d, e } = bidiagonalGram(alpha, beta, 9);
    const eigen = jacobiSingularValues(b, 9, 9).map((s) => s * s);
    for (const x of [0, eigen[8]! * 1.0001, (eigen[3]! + eigen[4]!) / 2, eigen[0]! * 1.0001]) {
      expect(sturmCount(d, e, 9, x, 1e-300)).toBe(eigen.filter((l) => l < x).length);
    }
  });

  it('eigenvector: residual ‖T x − λ x‖ ≤ 1e-13‖T‖, unit length, also for split and zero matrices', () => {
    for (const [name, d, e] of [
      ['random', ...Object.values(bidiagonalGram(randomBidiagonal(12, 8).alpha, randomBidiagonal(12, 8).beta, 12))],
      ['split (e = 0 in the middle)', new Float64Array([1, 2, 5, 3]), new Float64Array([0.5, 0, 1])],
      ['repeated (identity)', new Float64Array([1, 1, 1]), new Float64Array([0, 0])],
      ['zero', new Float64Array(3), new Float64Array(2)],
    ] as [string, Float64Array, Float64Array][]) {
      const m = d.length;
      const lambda = topEigenvalue(d, e, m);
      const x = tridiagonalEigenvector(d, e, m, lambda);
      const a = dense(d, e);
      let residual = 0;
      let length = 0;
      let norm = 0;
      for (let i = 0; i < m; i++) {
        let s = 0;
        for (let j = 0; j < m; j++) s += a[i * m + j]! * x[j]!;
        residual = Math.max(residual, Math.abs(s - lambda * x[i]!));
        length += x[i]! ** 2;
        norm = Math.max(norm, Math.abs(d[i]!) + 2 * Math.abs(e[i] ?? 0));
      }
      expect(residual, name).toBeLessThanOrEqual(1e-13 * Math.max(norm, 1e-300));
      expect(Math.abs(length - 1), name).toBeLessThan(1e-14);
    }
  });

  it('non-finite entries give NaN', () => {
    expect(topEigenvalue(new Float64Array([1, NaN]), new Float64Array([0]), 2)).toBeNaN();
    expect(topEigenvalue(new Float64Array([1, 2]), new Float64Array([Infinity]), 2)).toBeNaN();
    expect(bidiagonalTopSingularValue([1, Infinity], [0], 2)).toBeNaN();
    expect(tridiagonalEigenvector(new Float64Array([1, 2]), new Float64Array([0]), 2, NaN).every(Number.isNaN)).toBe(true);
  });
});
