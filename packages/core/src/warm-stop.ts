/**
 * The stopping rule of a warm-started Lanczos run (the previous
 * measurement's vectors on slightly changed maps): the residual of the top
 * Ritz pair, read at checks, instead of the cold run's quiet checks
 * (COLD_QUIET_CHECKS in lanczos.ts). spectralNorm's settings use it;
 * LanczosCoefficients.settle applies it.
 */

/**
 * A warm start's stopping rule is the residual of the top Ritz pair (θ = σ²,
 * x) rather than the move between checks: a map leaves at the first check
 * (every WARM_CHECK_EVERY steps) where ‖JᵀJ x − θ x‖ ≤ warmStop(tol).residual·θ,
 * from step WARM_MIN_STEPS on and once σ is quiet over WARM_QUIET_SPAN steps.
 * Why: a warm start is already close, and the move rule still waits for two
 * quiet checks, 8 steps at least; the residual says at once how far θ can
 * be from the eigenvalue it approximates: at most r²/g, g the gap to the
 * next one (Kato–Temple). The bound is √(2·tol·WARM_GAP)·θ, so the error
 * stays within tol·σ wherever σ₁² is at least WARM_GAP·σ₁² above σ₂².
 * Measured on 800 maps each (n = 128, T = 100, S = 8, after 30 training
 * steps and one more, warm from the measurement before it, against a
 * 256-step run; both rules replayed on one 48-step run's coefficients):
 * steps per map and worst relative error, move rule (checks every 4, two
 * quiet) → this rule — LSTM 18.1, 5.9e-7 → 14.0, 6.0e-7; GRU 12.6, 2.4e-5
 * → 12.7, 4.9e-7 (checks every 2); SimpleRNN on J Jᵀ 18.0, 2.7e-5 → 18.5,
 * 4.2e-7 (every 4). The move rule's two misses were maps paused on σ₂ for
 * two checks; their residual was still above the bound.
 */
export const WARM_GAP = 0.005;
/**
 * No warm map leaves before this step, nor while σ still moves by more than
 * the tolerance over the last WARM_QUIET_SPAN steps. Why: a start that is
 * almost a second singular vector (a run that paused on σ₂ hands one on)
 * has a small residual on σ₂ at once; the 1% random share (WARM_MIX)
 * carries σ₁, and the Krylov polynomial needs steps to grow it into view,
 * which shows first as a creep of σ. Constructed cases
 * (lanczos-warm-stall.test.ts: σ₂ 0.5–3% below σ₁, the start σ₂'s vector,
 * 4–8 maps each): the residual alone stopped maps on σ₂ at every gap; with
 * a floor of 8 steps and the span, 2–7 of 8 maps at 0.5–2% (a review found
 * it; the two quiet checks this rule replaced found σ₁ on all of them), and
 * warm re-measurements of those maps handed σ₂ on for good; with 12, every
 * map finds σ₁, as four quiet checks (cold runs) do. On the 2,400 real maps
 * above: 14.0, 12.7 and 18.5 steps per map (13.2, 10.4 and 18.5 with the
 * residual alone; 18.1, 12.6 and 18.0 with two quiet checks), worst error
 * 6.0e-7, 4.9e-7, 4.2e-7.
 */
export const WARM_MIN_STEPS = 12;
/** Steps over which a warm map's σ must have moved by at most the tolerance before it leaves (see WARM_MIN_STEPS). */
export const WARM_QUIET_SPAN = 4;
/**
 * Steps between a warm Golub–Kahan run's checks: the residual rule needs
 * one check, so checks two steps apart end a map sooner. A check costs
 * ~2 µs of JavaScript per map (σ and the residual from its coefficients),
 * a Golub–Kahan step of an LSTM n = 128 ~17 µs of device work per map; a
 * step on J Jᵀ of a SimpleRNN n = 128 costs about as much as a check, and
 * its warm runs keep checks four steps apart (see spectralNormSettings).
 */
export const WARM_CHECK_EVERY = 2;
/** The warm rule's parameters, as LanczosSettings.warmStop carries them. */
export interface WarmStop {
  /** Bound on the top Ritz pair's residual, relative to σ². */
  residual: number;
  /** No map leaves before this step. */
  minSteps: number;
  /** Steps over which σ must have moved by at most the tolerance (0: no such test). */
  quietSpan: number;
}

/** The warm rule for `tolerance`: the residual bound that keeps the error within it (see WARM_GAP; 0 for tolerance 0), the floor and the span. */
export function warmStop(tolerance: number): WarmStop {
  return { residual: Math.sqrt(2 * tolerance * WARM_GAP), minSteps: WARM_MIN_STEPS, quietSpan: WARM_QUIET_SPAN };
}
