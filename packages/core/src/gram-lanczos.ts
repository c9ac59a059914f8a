import * as tf from '@tensorflow/tfjs-core';
import { checkDue, lanczosCheck } from './lanczos-check.js';
import { LanczosCoefficients } from './lanczos-coefficients.js';
import { batchedLanczos, checksToLeave, startRows, type LanczosResult, type LanczosSettings } from './lanczos.js';
import { remeasureOutside, rightVectors } from './gram-run-end.js';
import { lobpcg, lobpcgServes } from './lobpcg.js';
import type { BatchedOperator, SelectedOperator } from './operator.js';
import { gramSteps } from './gram-step.js';
import { defaultLanczosScalars, type LanczosScalars } from './lanczos-scalars.js';
import { gaussianArray } from './random.js';
import { RitzHistory } from './ritz-history.js';
import { readValues } from './reads-at-once.js';
import { selectRows, unitRowsOr } from './rows.js';

/**
 * The per-step Lanczos on J Jᵀ instead of on J, for operators that can apply
 * J Jᵀ in one product (`applyOuter`; a SimpleRNN's D (RᵀR) D): a symmetric
 * Lanczos whose tridiagonal T has the eigenvalues σ², so σ_max = √λ_max(T).
 *
 * Why: Golub–Kahan pays an `apply` and an `applyTranspose` per step, two
 * [B, n]·[n, n] products for a SimpleRNN, and 12 kernels of bookkeeping
 * (48 where the coefficients stay on the device, see lanczos-scalars.ts);
 * this pays one product and 9 (21). After j steps from
 * u₁ = J v₁ its Krylov space is J·K_j(JᵀJ, v₁), the space of Golub–Kahan's
 * left vectors from v₁: its top Ritz value is that of B_j B_jᵀ plus a term
 * β_j² e_j e_jᵀ, so at least Golub–Kahan's after the same number of steps,
 * and the same stopping rule (checks, quiet checks, stragglers, compaction)
 * gives at least the same accuracy at half the work per step.
 *
 *   w = JJᵀ u_j − β_{j−1} u_{j−1},  α_j = u_j·w,  w −= α_j u_j,  β_j = ‖w‖,  u_{j+1} = w / β_j
 *
 * The vectors are left singular vectors (J v = σ u). A start (right vectors,
 * as the previous measurement left them) becomes J v; the right vectors the
 * caller wants are Jᵀ u / σ, one applyTranspose at the end.
 *
 * Range: the squares live in float32 on the device; maps whose σ leaves the
 * range they hold are measured again by Golub–Kahan (gram-run-end.ts). Breakdown
 * (β below BREAKDOWN of the largest coefficient, e.g. J Jᵀ = I) restarts from
 * a fresh seeded vector with β recorded as 0, as Golub–Kahan does.
 */

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Whether `settings` on `op` can run on J Jᵀ: the operator offers it and the run keeps no basis. */
export function canRunOnGram(op: BatchedOperator, settings: LanczosSettings): boolean {
  return typeof op.applyOuter === 'function' && settings.vectors !== 'exact' && Math.min(settings.iterations, op.size) < op.size;
}

/**
 * The per-step run: on J Jᵀ where the operator offers it cheaply (warm and
 * with J Jᵀ in factored form, the preconditioned block method of lobpcg.ts
 * where it can run), else Golub–Kahan on J.
 */
export async function runLanczos(op: BatchedOperator, settings: LanczosSettings): Promise<LanczosResult> {
  if (!canRunOnGram(op, settings)) return batchedLanczos(op, settings);
  if (lobpcgServes(op, settings)) {
    const result = await lobpcg(op, settings);
    if (result) return result;
  }
  return gramLanczos(op, settings);
}

/**
 * u₁ = J v₁ as unit rows: v₁ the given start with a share of the seeded
 * vector (see WARM_MIX), or the seeded vector. One apply; without it a cold
 * run would start from a vector of the other space and end short of
 * Golub–Kahan (9e-6 against 6e-8 on a 60×60 Gaussian map at 12 steps).
 * Rows that come out zero or non-finite take the seeded vector. The
 * normalisations run on the host (unitRowsOr), in either form.
 */
async function firstVectors(op: BatchedOperator, settings: LanczosSettings, seeded: Float32Array): Promise<tf.Tensor3D> {
  const { batch, size } = op;
  const v = await startRows(settings, batch, size, seeded);
  const applied = tf.tidy(() => op.apply(tf.tensor3d(v, [batch, 1, size])));
  try {
    return tf.tensor3d(unitRowsOr(await readValues(applied), size, seeded), [batch, 1, size]);
  } finally {
    applied.dispose();
  }
}

/** `scalars`: where the coefficients' arithmetic runs (lanczos-scalars.ts); the default suits the current backend. */
export async function gramLanczos(op: BatchedOperator, settings: LanczosSettings, scalars: LanczosScalars = defaultLanczosScalars()): Promise<LanczosResult> {
  if (!canRunOnGram(op, settings)) throw new Error('gramLanczos: the operator has no applyOuter, or the run keeps a basis (use batchedLanczos)');
  const { batch, size } = op;
  const regular = Math.min(settings.iterations, size);
  const stepCount = Math.max(regular, Math.min(settings.stragglerIterations ?? regular, size));
  const leaveAfter = checksToLeave(settings);
  const canCompact = typeof op.select === 'function';
  const poolValues = unitRowsOr(gaussianArray((stepCount + 1) * size, settings.seed), size, null);
  // The start before anything of the run is on the device: an apply that throws leaves nothing to free.
  let u = await firstVectors(op, settings, poolValues.subarray(0, size));
  const pool = tf.tensor3d(poolValues, [stepCount + 1, 1, size]);
  const poolRow = (i: number) => tf.slice(pool, [i, 0, 0], [1, 1, size]) as tf.Tensor3D;
  const coefficients = new LanczosCoefficients(batch, stepCount, 'tridiagonal');
  const history = settings.vectors === 'approximate' ? new RitzHistory() : null;

  let active = range(batch);
  let current: BatchedOperator = op;
  let selected: SelectedOperator | null = null;
  let uPrev: tf.Tensor3D = tf.zeros([batch, 1, size]);
  let betaPrev: tf.Tensor3D = tf.zeros([batch, 1, 1]);
  let pending: tf.Tensor3D[] = [];
  let taken = 0;
  let work = 0;
  const stepper = gramSteps(scalars, batch, coefficients);
  const replace = <T extends tf.Tensor>(old: T, next: T): T => {
    old.dispose();
    return next;
  };

  try {
    for (let j = 0; j < stepCount; j++) {
      const last = j === stepCount - 1;
      const rows = active.length;
      history?.push(u, active);
      const out = stepper.step({ current, u, uPrev, betaPrev, j, last, active, restart: () => poolRow(j + 1) });
      taken = j + 1;
      work += rows;
      pending.push(...out.pending);
      if (out.next) {
        uPrev = replace(uPrev, u);
        u = out.next.u;
        if (!pending.includes(betaPrev)) betaPrev.dispose();
        betaPrev = out.next.beta;
      }

      if (!checkDue(settings, taken, regular, last)) continue;
      // The same checks and rule as Golub–Kahan's (see lanczos-check.ts).
      const outcome = await lanczosCheck({ coefficients, history, pending, inUse: betaPrev, active, taken, tolerance: settings.tolerance, warmStop: settings.warmStop, leaveAfter, last, canCompact });
      pending = [];
      if (outcome.end) break;
      const keep = outcome.keep;
      if (!keep) continue;
      const gather = <T extends tf.Tensor>(t: T) => replace(t, selectRows(t, keep));
      [u, uPrev, betaPrev] = [gather(u), gather(uPrev), gather(betaPrev)];
      stepper.select(keep);
      active = keep.map((r) => active[r] as number);
      selected?.dispose();
      selected = op.select!(active);
      current = selected;
    }
    selected?.dispose();
    selected = null;

    const sigma = coefficients.sigma;
    let vectors: tf.Tensor3D | undefined;
    if (history) {
      const left = history.result(batch, size);
      try {
        vectors = await rightVectors(op, left);
      } finally {
        left.dispose();
      }
    }
    try {
      vectors = await remeasureOutside(op, settings, scalars, sigma, vectors);
    } catch (error) {
      vectors?.dispose(); // remeasureOutside disposes it only when it succeeds
      throw error;
    }
    return vectors ? { sigma, steps: taken, work, vectors } : { sigma, steps: taken, work };
  } finally {
    for (const t of [pool, u, uPrev, betaPrev, ...pending]) t.dispose();
    stepper.dispose();
    selected?.dispose();
    history?.dispose();
  }
}
