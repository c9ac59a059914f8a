import { describe, expect, it } from 'vitest';
import { LanczosCoefficients } from './lanczos-coefficients.js';
import { ZERO_PIVOT } from './test-helpers/zero-pivot.js';
import { tridiagonalEigenvector } from './tridiagonal.js';

describe('the warm rule in LanczosCoefficients.settle', () => {
  it('the residual alone (no floor, no span) does not settle a map whose last pivot rounds to zero and whose true residual is ~1e3× the bound', () => {
    // 'tridiagonal' form: α = d, β = e plus a next β of 0.25 (the true residual is then 0.25·|x_m| ≈ 0.06·σ²).
    const [, d, e] = ZERO_PIVOT[1]!;
    const c = new LanczosCoefficients(1, 16, 'tridiagonal');
    c.alpha[0]!.set(d);
    c.beta[0]!.set([...e, 0.25]);
    const settled = c.settle(d.length, [0], 1e-6, { residual: 1e-4, minSteps: 0, quietSpan: 0 })[0];
    const s = c.sigma[0]!;
    const truth = 0.25 * Math.abs(tridiagonalEigenvector(d, e, d.length, s * s)[d.length - 1]!);
    expect(truth).toBeGreaterThan(100 * 1e-4 * s * s);
    expect(settled).toBe(false);
  });
});
