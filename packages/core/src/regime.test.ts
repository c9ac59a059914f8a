import { describe, expect, it } from 'vitest';
import { classifyRegime, DEFAULT_REGIME_THRESHOLDS } from './regime.js';

describe('classifyRegime', () => {
  it('reads λ₁ against ±0.01 per step by default', () => {
    expect(DEFAULT_REGIME_THRESHOLDS).toEqual({ horizonVanishing: 1e-2, horizonExploding: 1e2, lambdaVanishing: -0.01, lambdaExploding: 0.01, gradRatioVanishing: 1e-2, gradRatioExploding: 1e2 });
    expect(classifyRegime({ lambda1: -0.5 })).toBe('vanishing');
    expect(classifyRegime({ lambda1: -0.0101 })).toBe('vanishing');
    expect(classifyRegime({ lambda1: -0.01 })).toBe('stable'); // boundaries are stable: strict inequalities
    expect(classifyRegime({ lambda1: 0 })).toBe('stable');
    expect(classifyRegime({ lambda1: 0.01 })).toBe('stable');
    expect(classifyRegime({ lambda1: 0.0101 })).toBe('exploding');
  });

  it('reads gradNorm[0]/gradNorm[T] against 1e-3 and 1e3', () => {
    expect(classifyRegime({ lambda1: 0, gradRatio: 1e-4 })).toBe('vanishing');
    expect(classifyRegime({ lambda1: 0, gradRatio: 1 })).toBe('stable');
    expect(classifyRegime({ lambda1: 0, gradRatio: 1e4 })).toBe('exploding');
  });

  it('exploding wins over vanishing when the indicators disagree; NaN wins over both', () => {
    expect(classifyRegime({ lambda1: 0.5, gradRatio: 1e-6 })).toBe('exploding');
    expect(classifyRegime({ lambda1: -0.5, gradRatio: 1e6 })).toBe('exploding');
    expect(classifyRegime({ lambda1: -0.5, gradRatio: 1 })).toBe('vanishing');
    expect(classifyRegime({ lambda1: NaN })).toBe('non-finite');
    expect(classifyRegime({ lambda1: 0.5, gradRatio: NaN })).toBe('non-finite');
  });

  it('treats ±∞ as extreme values, not as non-finite', () => {
    expect(classifyRegime({ lambda1: -Infinity })).toBe('vanishing');
    expect(classifyRegime({ lambda1: Infinity })).toBe('exploding');
    expect(classifyRegime({ lambda1: 0, gradRatio: Infinity })).toBe('exploding');
    expect(classifyRegime({ lambda1: 0, gradRatio: 0 })).toBe('vanishing');
  });

  it('takes partial thresholds and rejects inconsistent ones by name', () => {
    expect(classifyRegime({ lambda1: -0.05 }, { lambdaVanishing: -0.1 })).toBe('stable');
    expect(classifyRegime({ lambda1: 0, gradRatio: 20 }, { gradRatioExploding: 10 })).toBe('exploding');
    expect(() => classifyRegime({ lambda1: 0 }, { lambdaVanishing: 1 })).toThrow(/lambdaVanishing \(1\) must be <= lambdaExploding \(0.01\)/);
    expect(() => classifyRegime({ lambda1: 0 }, { gradRatioVanishing: 0 })).toThrow(/gradRatioVanishing \(0\)/);
    expect(() => classifyRegime({ lambda1: 0 }, { lambdaExploding: NaN })).toThrow(/lambdaExploding must be a finite number, got NaN/);
    expect(() => classifyRegime({ lambda1: 0 }, { lamda: 1 } as never)).toThrow(/unknown threshold 'lamda'/);
    expect(() => classifyRegime({ lambda1: 0, gradRatio: -1 })).toThrow(/gradRatio .* must be >= 0, got -1/);
  });
  it('judges λ₁ over the probe horizon when T is given: e^{T·λ₁} against 1e-2 and 1e2', () => {
    // λ₁ = −0.04: e^{−0.8} ≈ 0.45 over 20 steps (stable), e^{−4.8} ≈ 0.008 over 120 (vanishing).
    expect(classifyRegime({ lambda1: -0.04, steps: 20 })).toBe('stable');
    expect(classifyRegime({ lambda1: -0.04, steps: 120 })).toBe('vanishing');
    // ln 100 / 50 = 0.0921: just above explodes over 50 steps, just below does not.
    expect(classifyRegime({ lambda1: 0.093, steps: 50 })).toBe('exploding');
    expect(classifyRegime({ lambda1: 0.091, steps: 50 })).toBe('stable');
    expect(classifyRegime({ lambda1: -Infinity, steps: 10 })).toBe('vanishing');
    expect(classifyRegime({ lambda1: 0, steps: 10, gradRatio: 1e-3 })).toBe('vanishing');
    expect(() => classifyRegime({ lambda1: 0, steps: 0 })).toThrow(/steps must be a positive integer/);
  });
});
