import * as tf from '@tensorflow/tfjs-core';
import { selectRows } from './rows.js';

/**
 * A batch of square linear maps, applied matrix-free.
 *
 * Vectors are stored as rows, the tfjs convention: a block of k vectors for
 * each of the `batch` maps is a tensor [batch, k, size]. `apply` maps each row
 * v to (J v)ᵀ, i.e. it returns V Jᵀ; `applyTranspose` returns V J.
 * The caller owns (and disposes) both the input and the returned tensor.
 */
export interface BatchedOperator {
  readonly batch: number;
  readonly size: number;
  apply(v: tf.Tensor3D): tf.Tensor3D;
  applyTranspose(v: tf.Tensor3D): tf.Tensor3D;
  /**
   * Optional: rows w ↦ apply(applyTranspose(w)), i.e. (J Jᵀ w)ᵀ, where a
   * map's structure makes it cheaper than the two applications — for a
   * SimpleRNN, J Jᵀ is D (Rᵀ R) D with Rᵀ R formed once, one matrix product
   * instead of two. The per-step Lanczos then runs on J Jᵀ (see
   * gram-lanczos.ts). Only for exact products: a map that blends with the
   * identity must give m·JJᵀ + (1 − m)·I with m 0 or 1.
   */
  applyOuter?(w: tf.Tensor3D): tf.Tensor3D;
  /**
   * Optional, with applyOuter: every map's J Jᵀ in factored form (see
   * OuterFactors), where the structure gives it without a product — a
   * SimpleRNN's D (Rᵀ R) D. A warm per-step run then takes the
   * preconditioned block method (lobpcg.ts), which multiplies by the
   * factors itself. The caller disposes the tensors.
   */
  outerFactors?(): OuterFactors;
  /**
   * Optional: the maps at `rows` (ascending indices into this batch) as an
   * operator of their own, which owns what it gathered (dispose it). The
   * batched Lanczos uses it to stop paying for maps that have converged.
   */
  select?(rows: number[]): SelectedOperator;
}

/**
 * J Jᵀ of every map b as
 *
 *   J_b J_bᵀ = diag(scale_b) · G_b · diag(scale_b) + identity_b · I
 *
 * with G_b symmetric: `gram` [size, size], the same for every map, or
 * [batch, size, size], one per map; `scale` [batch, 1, size]; `identity`
 * [batch, 1, 1], or null for 0. A SimpleRNN step is scale φ′ and gram Rᵀ R;
 * a masked step (J = I) scale 0 and identity 1.
 */
export interface OuterFactors {
  scale: tf.Tensor3D;
  gram: tf.Tensor2D | tf.Tensor3D;
  identity: tf.Tensor3D | null;
}

/** An operator made by `select`, holding its own copies of the selected maps' data. */
export interface SelectedOperator extends BatchedOperator {
  dispose(): void;
}

/**
 * The per-step Jacobians J_t = ∂s_t/∂s_{t-1} of S sample sequences of length T,
 * t = 1..T stored at index 0..T-1.
 *
 * `step(t)` is the batch of the S maps at one time step (batch = S), used by
 * anything that must run in time order (products, Lyapunov exponents);
 * `all()` is every (sample, step) pair as one batch of S·T maps, in order
 * index = s·T + t, so per-step quantities run as one large batched product
 * rather than a loop over time.
 */
export interface JacobianSequence {
  readonly samples: number;
  readonly steps: number;
  readonly size: number;
  step(t: number): BatchedOperator;
  all(): BatchedOperator;
  /** Frees tensors the sequence holds (cell activations, weights copies). */
  dispose(): void;
}

/** A batch of dense matrices [B, n, n] as an operator. Does not take ownership. */
export function denseOperator(matrices: tf.Tensor3D): BatchedOperator {
  const [batch, rows, cols] = matrices.shape;
  if (rows !== cols) {
    throw new Error(`denseOperator: matrices must be square, got shape [${matrices.shape.join(', ')}]`);
  }
  return {
    batch,
    size: rows,
    apply: (v) => tf.matMul(v, matrices, false, true),
    applyTranspose: (v) => tf.matMul(v, matrices),
    select(indices) {
      const picked = selectRows(matrices, indices);
      return { ...denseOperator(picked), dispose: () => picked.dispose() };
    },
  };
}

/**
 * A dense Jacobian sequence from a tensor [T, n, n] (one sample) or
 * [S, T, n, n]. Keeps its own reference to the data until dispose().
 */
export function denseSequence(jacobians: tf.Tensor): JacobianSequence {
  if (jacobians.rank !== 3 && jacobians.rank !== 4) {
    throw new Error(
      `denseSequence: expected a tensor [T, n, n] or [S, T, n, n], got rank ${jacobians.rank} shape [${jacobians.shape.join(', ')}]`,
    );
  }
  const data = (jacobians.rank === 3 ? tf.expandDims(jacobians, 0) : jacobians.clone()) as tf.Tensor4D;
  const [samples, steps, n, m] = data.shape;
  if (n !== m) {
    data.dispose();
    throw new Error(`denseSequence: Jacobians must be square, got [${jacobians.shape.join(', ')}]`);
  }
  const perStep: tf.Tensor3D[] = [];
  let flat: tf.Tensor3D | undefined;
  return {
    samples,
    steps,
    size: n,
    step(t) {
      if (!Number.isInteger(t) || t < 0 || t >= steps) {
        throw new Error(`denseSequence.step: t must be an integer in [0, ${steps}), got ${t}`);
      }
      perStep[t] ??= tf.keep(tf.tidy(() => tf.reshape(tf.slice(data, [0, t, 0, 0], [samples, 1, n, n]), [samples, n, n]) as tf.Tensor3D));
      return denseOperator(perStep[t]);
    },
    all() {
      flat ??= tf.keep(tf.reshape(data, [samples * steps, n, n]) as tf.Tensor3D);
      return denseOperator(flat);
    },
    dispose() {
      data.dispose();
      flat?.dispose();
      for (const s of perStep) s?.dispose();
    },
  };
}
