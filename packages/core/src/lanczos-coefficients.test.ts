import { describe, expect, it } from 'vitest';
import { LanczosCoefficients } from './lanczos-coefficients.js';

// settle's σ on the J Jᵀ ('tridiagonal') form leans on topEigenvalueAbove to
// turn a non-finite coefficient into NaN; these maps pin that down at every
// path into it (first check, a lower bound from an earlier check, one step).
describe('LanczosCoefficients.settle on non-finite coefficients', () => {
  const WARM = { residual: 1e-4, minSteps: 0, quietSpan: 0 };

  for (const [name, alpha, beta] of [
    ['a NaN diagonal entry', [2, NaN, 1, 0.5], [0.3, 0.2, 0.1, 0.05]],
    ['an infinite diagonal entry', [2, 1, Infinity, 0.5], [0.3, 0.2, 0.1, 0.05]],
    ['a NaN off-diagonal entry', [2, 1, 1, 0.5], [0.3, NaN, 0.1, 0.05]],
    ['an infinite off-diagonal entry', [2, 1, 1, 0.5], [0.3, 0.2, -Infinity, 0.05]],
  ] as const) {
    it(`${name} gives σ = NaN, and the map counts as settled, with and without the warm rule`, () => {
      for (const warm of [undefined, WARM]) {
        const c = new LanczosCoefficients(1, 8, 'tridiagonal');
        c.alpha[0]!.set(alpha);
        c.beta[0]!.set(beta);
        expect(c.settle(4, [0], 1e-6, warm)).toEqual([true]);
        expect(c.sigma[0]).toBeNaN();
      }
    });
  }

  it('a non-finite entry that appears after a finite check gives NaN from the lower bound too', () => {
    const c = new LanczosCoefficients(1, 8, 'tridiagonal');
    c.alpha[0]!.set([2, 1, 1, 0.5]);
    c.beta[0]!.set([0.3, 0.2, 0.1, 0.05]);
    c.settle(2, [0], 1e-6);
    // √λ_max of [[2, 0.3], [0.3, 1]], by hand: λ = 1.5 + √(0.25 + 0.09).
    expect(c.sigma[0]).toBeCloseTo(Math.sqrt(1.5 + Math.sqrt(0.34)), 12);
    c.alpha[0]![3] = NaN;
    c.settle(4, [0], 1e-6);
    expect(c.sigma[0]).toBeNaN();
  });

  it('a −∞ diagonal entry after a finite check gives NaN, where the search alone would return a finite σ', () => {
    // Without topEigenvalueAbove's finiteness check the pivots pass −∞ by
    // and σ comes out finite (1.444 here): NaN propagation alone does not catch it.
    const c = new LanczosCoefficients(1, 8, 'tridiagonal');
    c.alpha[0]!.set([2, 1, 1, -Infinity]);
    c.beta[0]!.set([0.3, 0.2, 0.1, 0.05]);
    c.settle(2, [0], 1e-6);
    expect(c.settle(4, [0], 1e-6)).toEqual([true]);
    expect(c.sigma[0]).toBeNaN();
  });

  it('a warm rule whose span is not a number keeps the span test (never quiet), as before the quiet test moved ahead of the residual', () => {
    const c = new LanczosCoefficients(1, 8, 'tridiagonal');
    // A diagonal map: every residual is 0, so only the span can hold it back.
    c.alpha[0]!.set([1, 0.5, 0.25, 0.125]);
    expect(c.settle(4, [0], 1e-6, { residual: 1e-4, minSteps: 0, quietSpan: NaN })).toEqual([false]);
    expect(c.settle(4, [0], 1e-6, { residual: 1e-4, minSteps: 0, quietSpan: 0 })).toEqual([true]);
  });

  it('a single step: σ = √α₁, and NaN for a NaN α₁', () => {
    const c = new LanczosCoefficients(2, 8, 'tridiagonal');
    c.alpha[0]![0] = 2.25;
    c.alpha[1]![0] = NaN;
    c.settle(1, [0, 1], 1e-6);
    expect(c.sigma[0]).toBe(1.5);
    expect(c.sigma[1]).toBeNaN();
  });
});
