/**
 * The training regime read from the two indicators of the seed:
 *
 * | indicator | vanishing | exploding | default thresholds |
 * |-----------|-----------|-----------|--------------------|
 * | horizon gain e^{T·λ₁}, when `steps` T is given: what the top Lyapunov exponent does to a perturbation over the probe's own length | gain < horizonVanishing | gain > horizonExploding | 1e-2, 1e2 |
 * | lambda1 alone, when `steps` is not given: natural log per step | λ₁ < lambdaVanishing | λ₁ > lambdaExploding | −0.01, +0.01 (a factor e^{±1} every 100 steps) |
 * | gradRatio = gradNorm[0] / gradNorm[T] (optional): how much of the loss gradient at the last state reaches the first | ratio < gradRatioVanishing | ratio > gradRatioExploding | 1e-2, 1e2 |
 *
 * Why the horizon: λ₁ = −0.04 per step shrinks a perturbation to 0.45 over
 * 20 steps (harmless) but to 0.02 over 100 (early steps stop learning).
 * Whether gradients vanish depends on how far they must travel, so with T
 * known the λ₁ test is on e^{T·λ₁}, the same scale as gradRatio.
 *
 * Combination: 'non-finite' if any given value is NaN; otherwise 'exploding'
 * if either indicator says so (the pathology that breaks training at once,
 * and the one clipping addresses), else 'vanishing' if either says so, else
 * 'stable'. ±∞ are valid extreme values: λ₁ = −∞ (an exactly zero Jacobian
 * somewhere) is vanishing, gradRatio = +∞ (no gradient at the last state but
 * some at the first) is exploding.
 */

import type { Regime } from '@gradscope/protocol';

// The regime names are part of the measurement record: one home, @gradscope/protocol.
export type { Regime };

export interface RegimeIndicators {
  lambda1: number;
  /** Sequence length T of the probe: with it, λ₁ is judged by e^{T·λ₁}. */
  steps?: number;
  gradRatio?: number;
}

export interface RegimeThresholds {
  horizonVanishing: number;
  horizonExploding: number;
  lambdaVanishing: number;
  lambdaExploding: number;
  gradRatioVanishing: number;
  gradRatioExploding: number;
}

export const DEFAULT_REGIME_THRESHOLDS: Readonly<RegimeThresholds> = Object.freeze({
  horizonVanishing: 1e-2,
  horizonExploding: 1e2,
  lambdaVanishing: -0.01,
  lambdaExploding: 0.01,
  gradRatioVanishing: 1e-2,
  gradRatioExploding: 1e2,
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
  if (!(t.horizonVanishing > 0 && t.horizonVanishing <= t.horizonExploding)) {
    throw new Error(`classifyRegime: need 0 < horizonVanishing (${t.horizonVanishing}) <= horizonExploding (${t.horizonExploding})`);
  }
  if (!(t.gradRatioVanishing > 0 && t.gradRatioVanishing <= t.gradRatioExploding)) {
    throw new Error(
      `classifyRegime: need 0 < gradRatioVanishing (${t.gradRatioVanishing}) <= gradRatioExploding (${t.gradRatioExploding})`,
    );
  }
}

/** What each indicator says on its own (gradRatio: null when not given); classifyRegime combines them. */
export interface IndicatorVerdicts {
  lambda1: Regime;
  gradRatio: Regime | null;
}

export function indicatorVerdicts(indicators: RegimeIndicators, thresholds: Partial<RegimeThresholds> = {}): IndicatorVerdicts {
  const t: RegimeThresholds = { ...DEFAULT_REGIME_THRESHOLDS, ...thresholds };
  checkThresholds(t);
  const { lambda1, gradRatio, steps } = indicators;
  if (steps !== undefined && !(Number.isInteger(steps) && steps >= 1)) {
    throw new Error(`classifyRegime: steps must be a positive integer, got ${String(steps)}`);
  }
  if (typeof lambda1 !== 'number') throw new Error(`classifyRegime: lambda1 must be a number, got ${String(lambda1)}`);
  if (gradRatio !== undefined && typeof gradRatio !== 'number') {
    throw new Error(`classifyRegime: gradRatio must be a number or undefined, got ${String(gradRatio)}`);
  }
  if (gradRatio !== undefined && gradRatio < 0) {
    throw new Error(`classifyRegime: gradRatio is a ratio of norms and must be >= 0, got ${gradRatio}`);
  }
  // In log space: T·λ₁ against ln(threshold), so λ₁ = ±∞ stays extreme, not NaN.
  const lambdaExploding = steps !== undefined ? steps * lambda1 > Math.log(t.horizonExploding) : lambda1 > t.lambdaExploding;
  const lambdaVanishing = steps !== undefined ? steps * lambda1 < Math.log(t.horizonVanishing) : lambda1 < t.lambdaVanishing;
  const byLambda: Regime = Number.isNaN(lambda1) ? 'non-finite' : lambdaExploding ? 'exploding' : lambdaVanishing ? 'vanishing' : 'stable';
  const byRatio: Regime | null =
    gradRatio === undefined
      ? null
      : Number.isNaN(gradRatio)
        ? 'non-finite'
        : gradRatio > t.gradRatioExploding
          ? 'exploding'
          : gradRatio < t.gradRatioVanishing
            ? 'vanishing'
            : 'stable';
  return { lambda1: byLambda, gradRatio: byRatio };
}

export function classifyRegime(indicators: RegimeIndicators, thresholds: Partial<RegimeThresholds> = {}): Regime {
  const { lambda1, gradRatio } = indicatorVerdicts(indicators, thresholds);
  const said = [lambda1, gradRatio];
  if (said.includes('non-finite')) return 'non-finite';
  if (said.includes('exploding')) return 'exploding';
  return said.includes('vanishing') ? 'vanishing' : 'stable';
}
