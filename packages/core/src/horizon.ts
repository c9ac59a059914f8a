/**
 * The gradient horizon: how far back in time the loss at the last step still
 * reaches, read from the gradient that backpropagation delivers to each state.
 */
import type { GradientHorizon } from '@gradscope/protocol';

/** ‖∂L/∂s_t‖ may fall this far below (or rise this far above) ‖∂L/∂s_T‖ and still count as felt. */
export const HORIZON_FACTOR = 10;

// The horizon's shape and the gradient ratio are part of the measurement
// record (its diagnosis): their one home is @gradscope/protocol.
export { gradientRatio, type GradientHorizon } from '@gradscope/protocol';

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
