import { describe, expect, it } from 'vitest';
import { bidiagonalGram, bidiagonalTopSingularValue, lastEigenvectorEntry, sturmCount, topEigenvalue, topEigenvalueAbove, tridiagonalEigenvector } from './tridiagonal.js';
import { jacobiSingularValues, normalSource } from './test-helpers/linalg64.js';
import { ZERO_PIVOT } from './test-helpers/zero-pivot.js';

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
  it('top eigenvalue of BᵀB = σ_max(B)², to 1e-14 relative (σ from Lanczos coefficients 1e-13), m = 1..40', () => {
    // Bisection stops at 2ε relative width, and the Jacobi reference is accurate
    // to a few ulps: 1e-14 leaves a margin of ~20 ulps. bidiagonalTopSingularValue
    // without a lower bound searches from the largest diagonal entry of BᵀB and
    // stops as topEigenvalueAbove does, at a relative width of 1e-13 (the
    // coefficients it serves carry float32 rounding): σ to half of that.
    for (const m of [1, 2, 3, 7, 20, 40]) {
      for (const seed of [1, 2]) {
        const { alpha, beta, b } = randomBidiagonal(m, seed * 50 + m);
        const { d, e } = bidiagonalGram(alpha, beta, m);
        const sigma = jacobiSingularValues(b, m, m)[0]!;
        expect(Math.abs(topEigenvalue(d, e, m) - sigma * sigma) / (sigma * sigma)).toBeLessThan(1e-14);
        expect(Math.abs(bidiagonalTopSingularValue(alpha, beta, m) - sigma) / sigma).toBeLessThan(1e-13);
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

  it('top eigenvalue without a lower bound: within 1e-13 where λ_max is repeated, no endless search from a subnormal diagonal, ∞ where λ_max overflows', () => {
    // k copies of [[1, .5], [.5, 1 − η]] split by zero off-diagonals: λ_max = 1.5 − η/2 (to an ulp), k times.
    // Laguerre's method converges only linearly onto a repeated root; a stop read from the step alone
    // returned 1.3e-13 (k = 20) and 1.7e-13 (k = 32) above it (found in review).
    for (const [k, eta] of [[16, 3.02e-12], [20, 5.37e-13], [32, 3.89e-12]] as const) {
      const d: number[] = [];
      const e: number[] = [];
      for (let i = 0; i < k; i++) {
        d.push(1, 1 - eta);
        e.push(0.5);
        if (i < k - 1) e.push(0);
      }
      const exact = 1.5 - eta / 2;
      expect(Math.abs(topEigenvalueAbove(d, e, 2 * k, NaN) - exact) / exact).toBeLessThan(1e-13);
    }
    // The largest diagonal entry 1e-320 as the bound: 1e-6 of it rounds to 0, and the bracket never widened.
    const golden = (Math.sqrt(5) - 1) / 2;
    expect(Math.abs(topEigenvalueAbove([1e-320, -1], [1], 2, NaN) - golden) / golden).toBeLessThan(1e-13);
    // λ_max ≈ 2.7e308 is past float64's range: ∞ as bisection gives it, not NaN.
    expect(topEigenvalueAbove([1.7e308, 1.7e308], [1e308], 2, NaN)).toBe(Infinity);
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

  it('last entry of the top eigenvector: a dense inverse iteration\'s to 1e-9 relative, or 1e-7 absolute for tiny entries (a converged Lanczos)', () => {
    /** |x_m| of the unit eigenvector for λ: dense inverse iteration, Gaussian elimination with partial pivoting on T − λ(1 + 1e-12)I. */
    const inverseLast = (d: Float64Array, e: Float64Array, lambda: number) => {
      const m = d.length;
      let x = Float64Array.from({ length: m }, (_, i) => 1 + 0.1 * i);
      for (let sweep = 0; sweep < 3; sweep++) {
        const a = dense(d, e);
        for (let i = 0; i < m; i++) a[i * m + i] = a[i * m + i]! - lambda * (1 + 1e-12);
        const b = Float64Array.from(x);
        for (let c = 0; c < m; c++) {
          let p = c;
          for (let r = c + 1; r < m; r++) if (Math.abs(a[r * m + c]!) > Math.abs(a[p * m + c]!)) p = r;
          for (let k = 0; k < m; k++) [a[c * m + k], a[p * m + k]] = [a[p * m + k]!, a[c * m + k]!];
          [b[c], b[p]] = [b[p]!, b[c]!];
          for (let r = c + 1; r < m; r++) {
            const f = a[r * m + c]! / a[c * m + c]!;
            for (let k = c; k < m; k++) a[r * m + k]! -= f * a[c * m + k]!;
            b[r]! -= f * b[c]!;
          }
        }
        for (let r = m - 1; r >= 0; r--) {
          let s = b[r]!;
          for (let k = r + 1; k < m; k++) s -= a[r * m + k]! * x[k]!;
          x[r] = s / a[r * m + r]!;
        }
        const len = Math.hypot(...x);
        x = x.map((v) => v / len);
      }
      return Math.abs(x[m - 1]!);
    };
    const cases: [string, Float64Array, Float64Array][] = [];
    for (const seed of [1, 2, 3]) {
      const { alpha, beta } = randomBidiagonal(10 + 4 * seed, seed);
      const { d, e } = bidiagonalGram(alpha, beta, alpha.length);
      cases.push([`random BᵀB, seed ${seed}`, d, e]);
    }
    // A converged Lanczos tridiagonal: the off-diagonals fall towards the bottom, so the top eigenvector barely reaches it.
    const m = 16;
    cases.push(['decaying off-diagonal', Float64Array.from({ length: m }, (_, i) => 2 - i / m), Float64Array.from({ length: m - 1 }, (_, i) => 0.5 * 0.3 ** i)]);
    cases.push(['2×2 by hand', new Float64Array([3, 1]), new Float64Array([2])]);
    for (const [name, d, e] of cases) {
      const lambda = topEigenvalue(d, e, d.length);
      const expected = inverseLast(d, e, lambda);
      // Relative 1e-9 where the entry is not tiny; about √ε absolute below (λ's rounding), plenty for a residual test at 1e-4.
      expect(Math.abs(lastEigenvectorEntry(d, e, d.length, lambda) - expected), name).toBeLessThan(1e-9 * expected + 1e-7);
    }
    // 2×2 [[3, 2], [2, 1]]: λ = 2 + √5, x ∝ (2, λ − 3), so |x₂| = (λ − 3) / √(4 + (λ − 3)²).
    const l = 2 + Math.sqrt(5);
    expect(lastEigenvectorEntry(new Float64Array([3, 1]), new Float64Array([2]), 2, l)).toBeCloseTo((l - 3) / Math.sqrt(4 + (l - 3) ** 2), 14);
    expect(lastEigenvectorEntry(new Float64Array([1, 2]), new Float64Array([0.5]), 2, NaN)).toBeNaN();
  });

  it('last entry where the last pivot rounds to zero: inverse iteration\'s, not 0 (found by review)', () => {
    // The pivot is clamped to −pivmin (~2e-308) there; q_m'/q_m overflowed
    // the sum and read x_m as 0. Tridiagonals from 64×64 Lanczos runs (16 of 7,280 did this).
    for (const [name, d, e] of ZERO_PIVOT) {
      const m = d.length;
      const lambda = topEigenvalue(d, e, m);
      const expected = Math.abs(tridiagonalEigenvector(d, e, m, lambda)[m - 1]!);
      expect(expected, name).toBeGreaterThan(0.2);
      expect(Math.abs(lastEigenvectorEntry(d, e, m, lambda) - expected), name).toBeLessThan(1e-6);
    }
  });

  it('non-finite entries give NaN', () => {
    expect(topEigenvalue(new Float64Array([1, NaN]), new Float64Array([0]), 2)).toBeNaN();
    expect(topEigenvalue(new Float64Array([1, 2]), new Float64Array([Infinity]), 2)).toBeNaN();
    expect(bidiagonalTopSingularValue([1, Infinity], [0], 2)).toBeNaN();
    expect(tridiagonalEigenvector(new Float64Array([1, 2]), new Float64Array([0]), 2, NaN).every(Number.isNaN)).toBe(true);
  });
});
