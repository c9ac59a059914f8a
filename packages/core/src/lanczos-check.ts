import type * as tf from '@tensorflow/tfjs-core';
import type { LanczosCoefficients } from './lanczos-coefficients.js';
import type { RitzHistory } from './ritz-history.js';
import type { LanczosSettings } from './lanczos.js';
import type { WarmStop } from './warm-stop.js';

/** Fraction of the running maps that must have settled before they are dropped (a select costs about one step). */
export const COMPACT_FRACTION = 1 / 8;

/**
 * Whether step `taken` (1-based) of a run ends with a check: every
 * `checkEvery` steps, at the last step and at `regular` (where the
 * stragglers' extension begins). A warm run skips the checks no map can
 * pass and no later check reads: before warmStop.minSteps − quietSpan no
 * warm map may leave (warm-stop.ts), and the quiet span looks back only
 * from minSteps on. Each skipped check is a top Ritz value per map (800
 * tridiagonal solves for a SimpleRNN n = 128, T = 100, S = 8). A map
 * whose σ is already NaN leaves at the first check made.
 */
export function checkDue(settings: Pick<LanczosSettings, 'checkEvery' | 'warmStop'>, taken: number, regular: number, last: boolean): boolean {
  if (last || taken === regular) return true;
  if (taken % settings.checkEvery !== 0) return false;
  const warm = settings.warmStop;
  return !warm || taken + warm.quietSpan >= warm.minSteps;
}

/** What a convergence check of the batched Lanczos found. */
export type CheckOutcome = { end: true } | { end: false; keep: number[] | null };

/**
 * One convergence check of a batched Lanczos run, the same for Golub–Kahan's
 * (lanczos.ts) and the one on J Jᵀ (gram-lanczos.ts): one download of every
 * coefficient since the last check (`pending`, all disposed but `inUse`, the
 * β the next step still needs), the Ritz values updated, and the decision.
 *
 * - end: every map has settled `leaveAfter` checks in a row (one quiet
 *   check ended a warm start on the same maps at step 4 even where its
 *   estimate sat on the second singular value, see WARM_MIX), or this was
 *   the last step; the Ritz coefficients of every active map are noted.
 * - keep: the rows (positions in `active`) that go on, when at least
 *   COMPACT_FRACTION of them have settled `leaveAfter` times in a row and
 *   the operator can select (a map leaves only then: Ritz values can stall
 *   for a few checks before the next jump, see COLD_QUIET_CHECKS); the
 *   leaving maps' Ritz coefficients are noted. null: all go on.
 */
export async function lanczosCheck(run: {
  coefficients: LanczosCoefficients;
  history: RitzHistory | null;
  pending: tf.Tensor3D[];
  inUse: tf.Tensor;
  active: number[];
  taken: number;
  tolerance: number;
  /** The warm rule (see LanczosCoefficients.settle); undefined: the move between checks. */
  warmStop?: WarmStop | undefined;
  /** Settled checks in a row before a map may leave: checksToLeave(settings). */
  leaveAfter: number;
  last: boolean;
  canCompact: boolean;
}): Promise<CheckOutcome> {
  const { coefficients, history, active, taken, leaveAfter } = run;
  await coefficients.read(run.pending, taken, active);
  for (const t of run.pending) if (t !== run.inUse) t.dispose();
  coefficients.settle(taken, active, run.tolerance, run.warmStop);
  const settled = (b: number) => (coefficients.streak[b] as number) >= leaveAfter;
  if (run.last || active.every(settled)) {
    history?.finish(active, coefficients.ritzCoefficients(active, taken), taken);
    return { end: true };
  }
  const leaving = active.filter(settled);
  if (!run.canCompact || leaving.length < COMPACT_FRACTION * active.length) return { end: false, keep: null };
  history?.finish(leaving, coefficients.ritzCoefficients(leaving, taken), taken);
  return { end: false, keep: active.flatMap((b, r) => (settled(b) ? [] : [r])) };
}
