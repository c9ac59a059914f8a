import * as tf from '@tensorflow/tfjs-core';
import { checkDue, lanczosCheck } from './lanczos-check.js';
import { golubKahanSteps } from './golub-kahan-step.js';
import { LanczosCoefficients } from './lanczos-coefficients.js';
import { defaultLanczosScalars, type LanczosScalars } from './lanczos-scalars.js';
import type { BatchedOperator, SelectedOperator } from './operator.js';
import { gaussianArray } from './random.js';
import { RitzHistory } from './ritz-history.js';
import type { WarmStop } from './warm-stop.js';
import { readValues } from './reads-at-once.js';
import { rowNorm, safeReciprocal, scaleRows, selectRows, unitRowsOr } from './rows.js';

/**
 * Batched Golub–Kahan–Lanczos bidiagonalisation: the largest singular value
 * of every map of a BatchedOperator, matrix-free, all maps advanced by one
 * batched `apply` and one batched `applyTranspose` per step.
 *
 * Why Golub–Kahan rather than plain Lanczos on JᵀJ: after j steps both give
 * the same Krylov space K_j(JᵀJ, v₁) and the same Ritz values (BⱼᵀBⱼ is
 * exactly the Lanczos tridiagonal of JᵀJ), but Golub–Kahan only ever holds
 * numbers of the size of σ on the device, never σ². In float32, σ² overflows
 * for ‖J‖ > 1.8e19 and underflows for ‖J‖ < 1e-19; here the squaring happens
 * in float64 in JS (tridiagonal.ts), where it cannot.
 *
 *   u_j = (J v_j − β_{j−1} u_{j−1}) / α_j
 *   v_{j+1} = (Jᵀ u_j − α_j v_j) / β_j
 *
 * Breakdown (α_j or β_j exactly or nearly 0: J = 0, identity, rank one, a
 * start vector in an invariant subspace) would be 0/0. There the coefficient
 * is recorded as 0 and the recurrence restarts from a fresh vector: the
 * bidiagonal splits into independent blocks, each the Golub–Kahan matrix of
 * its own start vector, so every Ritz value is still a valid lower estimate
 * of σ_max and the largest of them converges to it.
 *
 * When the Krylov space can become complete (steps ≥ n) or a singular vector
 * is wanted, both bases are kept and every new vector is fully
 * re-orthogonalised (classical Gram–Schmidt, twice): the restart vectors are
 * then orthogonal to everything explored, so n steps are exact even through
 * breakdowns, and the Ritz vector can be formed. Otherwise (n > steps, the
 * large case) the recurrence is the plain three-term one, whose memory is
 * three [B,1,n] blocks whatever the number of steps: lost orthogonality in
 * finite precision only makes converged Ritz values reappear as copies, it
 * does not move them (Paige), so the top value stays accurate; a restart
 * there starts an independent block from a fresh random vector.
 *
 * Converged maps leave the batch: at a check where at least 1/8 of the
 * running maps have settled, those maps' σ are final and, when the
 * operator can `select` a subset, the remaining ones continue on a smaller
 * batch. The cost is then the sum of what each map needs, not the batch
 * size times what the slowest map needs (on a freshly initialised LSTM the
 * slowest 4% of 800 maps need 30+ steps where the median needs 20).
 */

export interface LanczosSettings {
  /** Maximum number of Golub–Kahan steps; capped at the operator size, where the Krylov space is complete. */
  iterations: number;
  /**
   * Steps the maps still running at `iterations` may take (capped at the
   * operator size too). `iterations` alone decides whether the bases are
   * kept (iterations ≥ size: exact); this only lets the last maps run on.
   * Default: `iterations`.
   */
  stragglerIterations?: number;
  /** Relative accuracy: a map has settled when its σ moved by at most tolerance·σ between two checks (with `warmStop`, see warm-stop.ts). */
  tolerance: number;
  /** Steps between convergence checks (each check is one download of the new α, β). */
  checkEvery: number;
  /**
   * Settled checks in a row before a map may leave the batch (and before
   * the run may end) under the move rule: default COLD_QUIET_CHECKS. With
   * `warmStop` one check decides and this is not read.
   */
  quietChecks?: number;
  /**
   * The warm rule instead of the move between checks: a map has settled
   * at a check where its top Ritz pair's residual is small (see
   * warm-stop.ts and LanczosCoefficients.settle); spectralNorm passes
   * warmStop(tolerance) for a warm start. Undefined: the move rule.
   */
  warmStop?: WarmStop;
  /** Start vectors [B, 1, n]; zero or non-finite rows fall back to the seeded random vector. */
  start?: tf.Tensor3D | undefined;
  /**
   * Weight of the seeded random vector added to every good `start` row
   * before it is normalised (default 0: the start as given). spectralNorm
   * and its variants pass WARM_MIX for their warm starts.
   */
  startMix?: number;
  /**
   * 'exact': keep both Krylov bases, re-orthogonalise fully and return the
   * top right-singular vectors; 'approximate': return Ritz vectors of the
   * plain recurrence (warm starts; no cost per step, see ritz-history.ts);
   * 'none'.
   */
  vectors: 'none' | 'exact' | 'approximate';
  seed: number;
}

export interface LanczosResult {
  /** σ_max per map, float64; NaN where the map produced a non-finite value. */
  sigma: Float64Array;
  /** Top right-singular vectors [B, 1, n] (unit rows), unless vectors = 'none'. Caller disposes. */
  vectors?: tf.Tensor3D;
  /** Lanczos steps (Golub–Kahan's, or on J Jᵀ) taken by the longest-running map. */
  steps: number;
  /** Σ over steps of the number of maps advanced: the operator work done, in single-map steps. */
  work: number;
}

/**
 * Settled checks in a row (4 steps apart) before a map may leave, from a
 * cold start. Why four: an estimate can sit still for two or three checks
 * before the next singular value appears — on a fresh GRU a few maps of
 * 800 paused on σ₂ (6e-4–2.8e-3 below σ₁); on a SimpleRNN after 30
 * training steps, whose top ten singular values lie within 2%, the
 * estimate creeps by less than 1e-6 per check while still 1e-3 short.
 * Measured on those 800 maps against a 256-step run (bench/accuracy.mjs,
 * n = 128, T = 100, stragglers to 64 steps): two quiet checks leave
 * 2.8e-3 (fresh GRU) and 1.4e-3 (trained SimpleRNN), three 5.9e-4 and
 * 1.1e-4, four 1.0e-7 and 1.5e-6 (and the fresh LSTM 2.7e-4 → 1.5e-7);
 * four cost a cold run 20–30% more operator work than two.
 */
export const COLD_QUIET_CHECKS = 4;

/**
 * Settled checks in a row before a map may leave (and the run may end):
 * one under the warm rule, which decides at a single check (its floor and
 * quiet span look back for it); `quietChecks` under the move rule.
 */
export function checksToLeave(settings: Pick<LanczosSettings, 'quietChecks' | 'warmStop'>): number {
  return settings.warmStop ? 1 : (settings.quietChecks ?? COLD_QUIET_CHECKS);
}
/**
 * Weight of the seeded pool vector added to a warm start (then normalised).
 * Why: a start vector carries nothing of a singular direction it is
 * orthogonal to, and Lanczos can only find what its start carries. A map
 * whose previous run paused on its second singular value (its estimate sat
 * still for two checks before the first one appeared) hands on a vector
 * almost orthogonal to the first: started from it alone, the next run
 * settles on the second value again at the first check. The pool vector
 * gives every warm start a share of every direction, as a cold start has.
 * Measured on a fresh GRU n = 128, T = 100 (800 maps, warm-started on the
 * same maps, bench/accuracy.mjs): 0.003 or less still ends at step 4 on the
 * paused value (worst error 2.8e-3), 0.01 finds the first value on 2 of the
 * 3 paused maps (worst 5.9e-4), 0.03 and 0.1 no better and slower.
 */
export const WARM_MIX = 0.01;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * The start vectors v₁ of both Lanczos forms, as unit rows made on the host
 * (unitRowsOr): each row of `settings.start` with startMix of the seeded
 * vector (see WARM_MIX); the seeded vector where a row is zero or has a
 * NaN or infinite entry (it would stall the recurrence or make σ NaN), and
 * for every map when there is no start.
 */
export async function startRows(settings: Pick<LanczosSettings, 'start' | 'startMix'>, batch: number, size: number, seeded: Float32Array): Promise<Float32Array> {
  if (settings.start !== undefined) return unitRowsOr(await readValues(settings.start), size, seeded, settings.startMix ?? 0);
  const v = new Float32Array(batch * size);
  for (let b = 0; b < batch; b++) v.set(seeded, b * size);
  return v;
}

/** `scalars`: where the coefficients' arithmetic runs (lanczos-scalars.ts); the default suits the current backend. */
export async function batchedLanczos(op: BatchedOperator, settings: LanczosSettings, scalars: LanczosScalars = defaultLanczosScalars()): Promise<LanczosResult> {
  const { batch, size } = op;
  const regular = Math.min(settings.iterations, size);
  const steps = Math.max(regular, Math.min(settings.stragglerIterations ?? regular, size));
  const keepBasis = settings.vectors === 'exact' || regular >= size;
  const leaveAfter = checksToLeave(settings);
  // Dropping maps needs select(); with full bases the problem is small (n ≤ iterations) anyway.
  const canCompact = !keepBasis && typeof op.select === 'function';
  // Fresh start and restart directions: seeded, shared by the whole batch
  // (each map is different, so one generic vector serves them all).
  const poolValues = unitRowsOr(gaussianArray((steps + 1) * size, settings.seed), size, null);
  // The start before anything of the run is on the device: a start that cannot be read leaves nothing to free.
  let v = tf.tensor3d(await startRows(settings, batch, size, poolValues.subarray(0, size)), [batch, 1, size]);
  const pool = tf.tensor3d(poolValues, [steps + 1, 1, size]);
  const poolRow = (i: number) => tf.slice(pool, [i, 0, 0], [1, 1, size]) as tf.Tensor3D;
  const coefficients = new LanczosCoefficients(batch, steps);
  const history = settings.vectors === 'approximate' && !keepBasis ? new RitzHistory() : null;

  let active = range(batch);
  let current: BatchedOperator = op;
  let selected: SelectedOperator | null = null;
  let uPrev: tf.Tensor3D = tf.zeros([batch, 1, size]);
  let betaPrev: tf.Tensor3D = tf.zeros([batch, 1, 1]);
  let vBasis: tf.Tensor3D | undefined;
  let uBasis: tf.Tensor3D | undefined;
  let pending: tf.Tensor3D[] = [];
  let taken = 0;
  let work = 0;
  const stepper = golubKahanSteps(scalars, batch, coefficients);

  const replace = <T extends tf.Tensor>(old: T | undefined, next: T): T => {
    old?.dispose();
    return next;
  };

  try {
    for (let j = 0; j < steps; j++) {
      const last = j === steps - 1;
      const rows = active.length;
      history?.push(v, active);
      const out = stepper.step({ current, v, uPrev, betaPrev, vBasis, uBasis, keepBasis, j, last, active, restart: () => poolRow(j + 1) });
      taken = j + 1;
      work += rows;
      pending.push(...out.pending);
      vBasis = out.vBasis ? replace(vBasis, out.vBasis) : vBasis;
      uBasis = out.uBasis ? replace(uBasis, out.uBasis) : uBasis;
      if (out.next) {
        uPrev = replace(uPrev, out.u);
        if (!pending.includes(betaPrev)) betaPrev.dispose();
        betaPrev = out.next.beta;
        v = replace(v, out.next.v);
      } else {
        out.u.dispose();
      }

      if (!checkDue(settings, taken, regular, last)) continue;
      const outcome = await lanczosCheck({ coefficients, history, pending, inUse: betaPrev, active, taken, tolerance: settings.tolerance, warmStop: settings.warmStop, leaveAfter, last, canCompact });
      pending = [];
      if (outcome.end) break;
      const keep = outcome.keep;
      if (!keep) continue;
      const gather = <T extends tf.Tensor>(t: T) => replace(t, selectRows(t, keep));
      [v, uPrev, betaPrev] = [gather(v), gather(uPrev), gather(betaPrev)];
      stepper.select(keep);
      active = keep.map((r) => active[r] as number);
      selected?.dispose();
      selected = op.select!(active);
      current = selected;
    }

    let vectors: tf.Tensor3D | undefined;
    if (history) {
      vectors = history.result(batch, size);
    } else if (settings.vectors !== 'none' && vBasis) {
      const y = coefficients.ritzCoefficients(active, taken);
      const basis = vBasis;
      vectors = tf.tidy(() => {
        const x = tf.matMul(tf.tensor3d(y, [batch, 1, taken]), basis) as tf.Tensor3D;
        return scaleRows(safeReciprocal(rowNorm(x)), x);
      });
    }
    const result = { sigma: coefficients.sigma, steps: taken, work };
    return vectors ? { ...result, vectors } : result;
  } finally {
    for (const t of [pool, v, uPrev, betaPrev, vBasis, uBasis, ...pending]) t?.dispose();
    stepper.dispose();
    selected?.dispose();
    history?.dispose();
  }
}
