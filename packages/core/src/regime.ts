/**
 * The training regime read from the two indicators of the seed:
 *
 * | indicator | vanishing | exploding | default thresholds |
 * |-----------|-----------|-----------|--------------------|
 * | lambda1: top finite-time Lyapunov exponent, natural log per step | λ₁ < lambdaVanishing | λ₁ > lambdaExploding | −0.01, +0.01 (a factor e^{±1} every 100 steps) |
 * | gradRatio = gradNorm[0] / gradNorm[T] (optional): how much of the loss gradient at the last state reaches the first | ratio < gradRatioVanishing | ratio > gradRatioExploding | 1e-3, 1e3 |
 *
 * Combination: 'non-finite' if any given value is NaN; otherwise 'exploding'
 * if either indicator says so (the pathology that breaks training at once,
 * and the one clipping addresses), else 'vanishing' if either says so, else
 * 'stable'. ±∞ are valid extreme values: λ₁ = −∞ (an exactly zero Jacobian
 * somewhere) is vanishing, gradRatio = +∞ (no gradient at the last state but
 * some at the first) is exploding.
 */

export type Regime = 'vanishing' | 'stable' | 'exploding' | 'non-finite';

export interface RegimeIndicators {
  lambda1: number;
  gradRatio?: number;
}

export interface RegimeThresholds {
  lambdaVanishing: number;
  lambdaExploding: number;
  gradRatioVanishing: number;
  gradRatioExploding: number;
}

export const DEFAULT_REGIME_THRESHOLDS: Readonly<RegimeThresholds> = Object.freeze({
  lambdaVanishing: -0.01,
  lambdaExploding: 0.01,
  gradRatioVanishing: 1e-3,
  gradRatioExploding: 1e3,
});

function checkThresholds(t: RegimeThresholds): void {
  for (const key of Object.keys(t) as (keyof RegimeThresholds)[]) {
    if (!(key in DEFAULT_REGIME_THRESHOLDS)) {
      throw new Error(`classifyRegime: unknown threshold '${key}' (known: ${Object.keys(DEFAULT_REGIME_THRESHOLDS).join(', ')})`);
    }
    if (typeof t[key] !== 'number' || !Number.isFinite(t[key])) {
      throw new Error(`classifyRegime: threshold ${key} must be a finite number, got ${String(t[key])}`);
    }
  }
  if (!(t.lambdaVanishing <= t.lambdaExploding)) {
    throw new Error(`classifyRegime: lambdaVanishing (${t.lambdaVanishing}) must be <= lambdaExploding (${t.lambdaExploding})`);
  }
  if (!(t.gradRatioVanishing > 0 && t.gradRatioVanishing <= t.gradRatioExploding)) {
    throw new Error(
      `classifyRegime: need 0 < gradRatioVanishing (${t.gradRatioVanishing}) <= gradRatioExploding (${t.gradRatioExploding})`,
    );
  }
}

export function classifyRegime(indicators: RegimeIndicators, thresholds: Partial<RegimeThresholds> = {}): Regime {
  const t: RegimeThresholds = { ...DEFAULT_REGIME_THRESHOLDS, ...thresholds };
  checkThresholds(t);
  const { lambda1, gradRatio } = indicators;
  if (typeof lambda1 !== 'number') throw new Error(`classifyRegime: lambda1 must be a number, got ${String(lambda1)}`);
  if (gradRatio !== undefined && typeof gradRatio !== 'number') {
    throw new Error(`classifyRegime: gradRatio must be a number or undefined, got ${String(gradRatio)}`);
  }
  if (Number.isNaN(lambda1) || (gradRatio !== undefined && Number.isNaN(gradRatio))) return 'non-finite';
  if (gradRatio !== undefined && gradRatio < 0) {
    throw new Error(`classifyRegime: gradRatio is a ratio of norms and must be >= 0, got ${gradRatio}`);
  }
  const exploding = lambda1 > t.lambdaExploding || (gradRatio !== undefined && gradRatio > t.gradRatioExploding);
  if (exploding) return 'exploding';
  const vanishing = lambda1 < t.lambdaVanishing || (gradRatio !== undefined && gradRatio < t.gradRatioVanishing);
  return vanishing ? 'vanishing' : 'stable';
}
