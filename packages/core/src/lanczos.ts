import * as tf from '@tensorflow/tfjs-core';
import type { BatchedOperator } from './operator.js';
import { gaussianArray } from './random.js';
import { bidiagonalGram, bidiagonalTopSingularValue, topEigenvalue, tridiagonalEigenvector } from './tridiagonal.js';

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
 */

export interface LanczosSettings {
  /** Maximum number of Golub–Kahan steps; capped at the operator size, where the Krylov space is complete. */
  iterations: number;
  /** Stop when every map's σ moved by at most tolerance·σ between two checks. */
  tolerance: number;
  /** Steps between convergence checks (each check is one download of the new α, β). */
  checkEvery: number;
  /** Start vectors [B, 1, n]; a zero or NaN-free but degenerate start is handled by the restart. */
  start?: tf.Tensor3D | undefined;
  /** Also compute the top right-singular vectors (keeps the Krylov bases). */
  wantVectors: boolean;
  seed: number;
}

export interface LanczosResult {
  /** σ_max per map, float64; NaN where the map produced a non-finite value. */
  sigma: Float64Array;
  /** Top right-singular vectors [B, 1, n] (unit rows), only with wantVectors. Caller disposes. */
  vectors?: tf.Tensor3D;
  /** Golub–Kahan steps taken. */
  steps: number;
}

/**
 * Relative size below which α or β counts as a breakdown. Far below float32
 * rounding (~1e-7): a residual made of rounding noise is normalised and
 * continued, which Paige's analysis shows is harmless; only (near-)exact
 * zeros, which would give 0/0, are caught.
 */
const BREAKDOWN = 1e-12;

/**
 * s ⊙ w for per-row scalars s [B,1,1] and rows w [B,1,n] (or one row [1,1,n]
 * shared by the batch), written as a batched matMul with inner dimension 1:
 * the cpu backend's broadcasting elementwise kernels walk indices element by
 * element and are ~10× slower than its matMul on these shapes.
 */
function scaleRows(s: tf.Tensor3D, w: tf.Tensor3D): tf.Tensor3D {
  return tf.matMul(s, w);
}

/** ‖row‖₂ of a [B,1,n] block as [B,1,1], scaled by the largest entry first so float32 squares neither overflow nor underflow. */
function rowNorm(w: tf.Tensor3D): tf.Tensor3D {
  const big = tf.max(tf.abs(w), -1, true) as tf.Tensor3D;
  // 1/big where big > 0; 0 for a zero row (norm 0). NaN or ∞ entries give NaN: 0·NaN and 0·∞ are NaN.
  // A row of float32 denormals (a residual after an exact breakdown, left by
  // rounding) has 1/big = ∞ and would turn into NaN: it counts as zero too.
  const reciprocal = tf.reciprocal(big);
  const usable = tf.logicalAnd(tf.greater(big, 0), tf.isFinite(reciprocal));
  const inverse = tf.where(usable, reciprocal, tf.zerosLike(big)) as tf.Tensor3D;
  return tf.mul(tf.sqrt(tf.sum(tf.square(scaleRows(inverse, w)), -1, true)), big) as tf.Tensor3D;
}

/** w − (w Bᵀ) B, twice ("twice is enough", Kahan–Parlett), for an orthonormal row basis B [B, j, n]. */
function orthogonalise(w: tf.Tensor3D, basis: tf.Tensor3D | undefined): tf.Tensor3D {
  if (basis === undefined) return w;
  let out = w;
  for (let pass = 0; pass < 2; pass++) {
    out = tf.sub(out, tf.matMul(tf.matMul(out, basis, false, true), basis));
  }
  return out;
}

/**
 * w / norm where norm is above the breakdown level; elsewhere the `fallback`
 * row ([B,1,n] or [1,1,n]) and a zero coefficient. A NaN norm is not a
 * breakdown: it divides through and keeps the row NaN.
 */
function normalise(
  w: tf.Tensor3D,
  norm: tf.Tensor3D,
  scale: tf.Tensor3D,
  fallback: tf.Tensor3D,
): { unit: tf.Tensor3D; coefficient: tf.Tensor3D } {
  const broken = tf.lessEqual(norm, tf.mul(scale, BREAKDOWN));
  const zero = tf.zerosLike(norm);
  const inverse = tf.where(broken, zero, tf.reciprocal(norm)) as tf.Tensor3D;
  const useFallback = tf.cast(broken, 'float32') as tf.Tensor3D;
  return {
    unit: tf.add(scaleRows(inverse, w), scaleRows(useFallback, fallback)),
    coefficient: tf.where(broken, zero, norm) as tf.Tensor3D,
  };
}

/** Normalises each length-`size` row of `values` (float64) and rounds to float32. */
function unitRows(values: Float64Array, size: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < values.length / size; r++) {
    let ss = 0;
    for (let i = 0; i < size; i++) ss += (values[r * size + i] as number) ** 2;
    const len = Math.sqrt(ss);
    for (let i = 0; i < size; i++) out[r * size + i] = (values[r * size + i] as number) / len;
  }
  return out;
}

/**
 * Downloads the pending α, β ([B] each, in push order α_i, β_i, α_{i+1}, …,
 * ending at step `taken`) in one transfer, into the per-map float64 arrays.
 * Disposes the pending tensors.
 */
async function readCoefficients(pending: tf.Tensor1D[], taken: number, batch: number, alpha: Float64Array[], beta: Float64Array[]): Promise<void> {
  const stacked = tf.stack(pending);
  const firstStep = taken - Math.ceil(pending.length / 2);
  try {
    const values = await stacked.data();
    for (let r = 0; r < pending.length; r++) {
      const stepIndex = firstStep + Math.floor(r / 2);
      const target = r % 2 === 0 ? alpha : beta;
      for (let b = 0; b < batch; b++) (target[b] as Float64Array)[stepIndex] = values[r * batch + b] as number;
    }
  } finally {
    stacked.dispose();
    pending.forEach((t) => t.dispose());
  }
}

/**
 * Updates σ for every map from the first `taken` coefficients and says
 * whether all have settled: moved by at most tolerance·σ since the previous
 * check (NaN counts as settled: more steps cannot repair it). Ritz values
 * only grow with the Krylov space, and they converge geometrically, so a
 * small move between checks 4 steps apart bounds the remaining error by a
 * small multiple of it.
 */
function estimate(alpha: Float64Array[], beta: Float64Array[], taken: number, sigma: Float64Array, tolerance: number): boolean {
  let all = true;
  for (let b = 0; b < sigma.length; b++) {
    const previous = sigma[b] as number;
    const value = bidiagonalTopSingularValue(alpha[b] as Float64Array, beta[b] as Float64Array, taken);
    sigma[b] = value;
    if (!(Number.isNaN(value) || Math.abs(value - previous) <= tolerance * value)) all = false;
  }
  return all;
}

export async function batchedLanczos(op: BatchedOperator, settings: LanczosSettings): Promise<LanczosResult> {
  const { batch, size } = op;
  const steps = Math.min(settings.iterations, size);
  const keepBasis = settings.wantVectors || steps >= size;
  // Fresh start and restart directions: seeded, shared by the whole batch
  // (each map is different, so one generic vector serves them all).
  const pool = tf.tensor3d(unitRows(gaussianArray((steps + 1) * size, settings.seed), size), [steps + 1, 1, size]);
  const poolRow = (i: number) => tf.slice(pool, [i, 0, 0], [1, 1, size]) as tf.Tensor3D;
  const zeroRow = tf.zeros([1, 1, size]) as tf.Tensor3D;

  const alpha = Array.from({ length: batch }, () => new Float64Array(steps));
  const beta = Array.from({ length: batch }, () => new Float64Array(steps));
  const sigma = new Float64Array(batch).fill(NaN);

  const ones = tf.ones([batch, 1, 1]) as tf.Tensor3D;
  let v = tf.tidy(() => {
    const fallback = scaleRows(ones, poolRow(0));
    if (settings.start === undefined) return fallback;
    // A zero or non-finite start vector would stall the recurrence: use the pool vector instead.
    const norm = rowNorm(settings.start);
    const good = tf.greater(norm, 0);
    const inverse = tf.where(good, tf.reciprocal(norm), tf.zerosLike(norm)) as tf.Tensor3D;
    const useFallback = tf.cast(tf.logicalNot(good), 'float32') as tf.Tensor3D;
    return tf.add(scaleRows(inverse, settings.start), scaleRows(useFallback, fallback)) as tf.Tensor3D;
  });
  let uPrev: tf.Tensor3D = tf.zeros([batch, 1, size]);
  let betaPrev: tf.Tensor3D = tf.zeros([batch, 1, 1]);
  let scale: tf.Tensor3D = tf.zeros([batch, 1, 1]);
  let vBasis: tf.Tensor3D | undefined;
  let uBasis: tf.Tensor3D | undefined;
  let pending: tf.Tensor1D[] = [];
  let taken = 0;

  const replace = <T extends tf.Tensor>(old: T | undefined, next: T): T => {
    old?.dispose();
    return next;
  };

  try {
    for (let j = 0; j < steps; j++) {
      const last = j === steps - 1;
      const out = tf.tidy(() => {
        const vb = keepBasis ? (vBasis ? tf.concat([vBasis, v], 1) : tf.clone(v)) : undefined;
        let p = tf.sub(op.apply(v), scaleRows(betaPrev, uPrev)) as tf.Tensor3D;
        p = orthogonalise(p, uBasis);
        const a = rowNorm(p);
        let s = tf.maximum(scale, a) as tf.Tensor3D;
        const { unit: u, coefficient: aRec } = normalise(p, a, s, zeroRow);
        const ub = keepBasis ? (uBasis ? tf.concat([uBasis, u], 1) : tf.clone(u)) : undefined;
        if (last) return { u, aRec, s, vb, ub };
        let q = tf.sub(op.applyTranspose(u), scaleRows(aRec, v)) as tf.Tensor3D;
        q = orthogonalise(q, vb);
        const b = rowNorm(q);
        s = tf.maximum(s, b) as tf.Tensor3D;
        let restart = poolRow(j + 1);
        if (vb) {
          const r = orthogonalise(scaleRows(ones, restart), vb);
          const rn = rowNorm(r);
          restart = scaleRows(tf.where(tf.greater(rn, 0), tf.reciprocal(rn), tf.zerosLike(rn)) as tf.Tensor3D, r);
        }
        const { unit: vNext, coefficient: bRec } = normalise(q, b, s, restart);
        return { u, aRec, s, vb, ub, vNext, bRec };
      });
      taken = j + 1;
      pending.push(tf.reshape(out.aRec, [batch]) as tf.Tensor1D);
      out.aRec.dispose();
      if (out.bRec) {
        pending.push(tf.reshape(out.bRec, [batch]) as tf.Tensor1D);
        out.bRec.dispose();
      }
      scale = replace(scale, out.s);
      vBasis = out.vb ? replace(vBasis, out.vb) : vBasis;
      uBasis = out.ub ? replace(uBasis, out.ub) : uBasis;
      if (out.vNext && out.bRec !== undefined) {
        uPrev = replace(uPrev, out.u);
        betaPrev = replace(betaPrev, tf.reshape(pending[pending.length - 1] as tf.Tensor1D, [batch, 1, 1]) as tf.Tensor3D);
        v = replace(v, out.vNext);
      } else {
        out.u.dispose();
      }

      if (!last && (j + 1) % settings.checkEvery !== 0) continue;
      // One download for every coefficient since the last check.
      await readCoefficients(pending, j + 1, batch, alpha, beta);
      pending = [];
      if (estimate(alpha, beta, j + 1, sigma, settings.tolerance)) break;
    }

    let vectors: tf.Tensor3D | undefined;
    if (settings.wantVectors && vBasis) {
      const coefficients = new Float32Array(batch * taken);
      for (let b = 0; b < batch; b++) {
        const { d, e } = bidiagonalGram(alpha[b] as Float64Array, beta[b] as Float64Array, taken);
        const s = sigma[b] as number;
        const y = tridiagonalEigenvector(d, e, taken, Number.isFinite(s) ? topEigenvalue(d, e, taken) : NaN);
        coefficients.set(y, b * taken);
      }
      const basis = vBasis;
      vectors = tf.tidy(() => {
        const x = tf.matMul(tf.tensor3d(coefficients, [batch, 1, taken]), basis) as tf.Tensor3D;
        const norm = rowNorm(x);
        return scaleRows(tf.where(tf.greater(norm, 0), tf.reciprocal(norm), tf.zerosLike(norm)) as tf.Tensor3D, x);
      });
    }
    return vectors ? { sigma, vectors, steps: taken } : { sigma, steps: taken };
  } finally {
    for (const t of [pool, zeroRow, ones, v, uPrev, betaPrev, scale, vBasis, uBasis, ...pending]) t?.dispose();
  }
}
