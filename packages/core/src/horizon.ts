/**
 * The gradient horizon: how far back in time the loss at the last step still
 * reaches, read from the gradient that backpropagation delivers to each state.
 */

/** ‖∂L/∂s_t‖ may fall this far below (or rise this far above) ‖∂L/∂s_T‖ and still count as felt. */
export const HORIZON_FACTOR = 10;

export interface GradientHorizon {
  /**
   * h: the states s_T, s_{T−1}, …, s_{T−h+1} all receive a gradient within
   * `factor` of ‖∂L/∂s_T‖ (1 ≤ h ≤ T), so the loss at T "feels the last h of
   * T steps". null when the gradient norms are missing or not finite.
   */
  steps: number | null;
  /** T, the probe's sequence length. */
  of: number;
  /** The factor h is measured against. */
  factor: number;
  /**
   * 1/|λ₁|: the steps over which the Jacobian product's slowest direction
   * changes by a factor e (its own time scale). Infinity when λ₁ = 0; NaN when λ₁ is.
   */
  timeScale: number;
}

/** gradNorm[0] / gradNorm[T]: the share of the loss gradient at the last state that reaches the first. */
export function gradientRatio(gradNorm: readonly number[]): number {
  if (gradNorm.length < 2) throw new Error(`gradientRatio: need gradNorm for t = 0..T (at least 2 values), got ${gradNorm.length}`);
  return gradNorm[0]! / gradNorm[gradNorm.length - 1]!;
}

/**
 * The horizon of `gradNorm` (‖∂L/∂s_t‖ for t = 0..T, e.g. the probe mean)
 * and the time scale of `lambda1`. Counting back from t = T, a step is felt
 * while every state from T down to it stays within [g_T/factor, g_T·factor]:
 * the first state outside ends the horizon, whichever way it left (vanishing
 * or exploding).
 */
export function gradientHorizon(gradNorm: readonly number[] | null, lambda1: number, factor = HORIZON_FACTOR): GradientHorizon {
  if (!(typeof factor === 'number' && factor > 1 && Number.isFinite(factor))) {
    throw new Error(`gradientHorizon: factor must be a finite number > 1, got ${String(factor)}`);
  }
  const of = gradNorm ? gradNorm.length - 1 : 0;
  const timeScale = 1 / Math.abs(lambda1);
  if (!gradNorm || gradNorm.length < 2) return { steps: null, of, factor, timeScale };
  const last = gradNorm[of]!;
  if (!(Number.isFinite(last) && last > 0) || gradNorm.some((g) => !Number.isFinite(g))) return { steps: null, of, factor, timeScale };
  let steps = 0;
  for (let t = of; t >= 1; t--) {
    const r = gradNorm[t]! / last;
    if (r < 1 / factor || r > factor) break;
    steps++;
  }
  return { steps, of, factor, timeScale };
}
