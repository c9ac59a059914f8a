import * as tf from '@tensorflow/tfjs-core';
import { rowNorm, safeReciprocal, scaleRows, selectRows } from './rows.js';

/**
 * Approximate top right-singular vectors from the plain three-term Lanczos
 * recurrence, for warm-starting the next measurement.
 *
 * The Lanczos vectors v_1..v_j of the active rows are kept (references, no
 * copies); when a map leaves (converged, or the run ends), its top Ritz
 * vector x = Σ_i y_i v_i is formed from the eigenvector y of its BᵀB.
 * Without re-orthogonalisation the v_i lose orthogonality once a Ritz value
 * converges, but a converged Ritz vector stays accurate (Paige), and a warm
 * start only needs a good direction, not an exact one. Memory: one [A,1,n]
 * block per step, which is what `iterations` already bounds.
 */
export class RitzHistory {
  /** v_1..v_{jPast} of the active rows as one [A, jPast, n] block (after a compaction). */
  private past: tf.Tensor3D | null = null;
  /** v's pushed since, each [A, 1, n]. */
  private recent: tf.Tensor3D[] = [];
  /** Finished vectors: which original maps, and their unit rows [m, 1, n]. */
  private chunks: { maps: number[]; vectors: tf.Tensor3D }[] = [];

  /** Keeps v (a reference: tf.clone shares the data). */
  push(v: tf.Tensor3D): void {
    this.recent.push(tf.keep(tf.clone(v)));
  }

  private all(): tf.Tensor3D {
    const parts = this.past ? [this.past, ...this.recent] : this.recent;
    return tf.concat(parts, 1) as tf.Tensor3D;
  }

  /**
   * Forms the Ritz vectors of the rows at `positions` (their original map
   * indices `maps`) from y [positions.length, taken] (see
   * LanczosCoefficients.ritzCoefficients).
   */
  finish(positions: number[], maps: number[], y: Float32Array, taken: number): void {
    if (positions.length === 0) return;
    const vectors = tf.tidy(() => {
      const basis = selectRows(this.all(), positions); // [m, taken, n]
      const x = tf.matMul(tf.tensor3d(y, [positions.length, 1, taken]), basis) as tf.Tensor3D;
      return scaleRows(safeReciprocal(rowNorm(x)), x);
    });
    this.chunks.push({ maps, vectors });
  }

  /** Keeps only the rows at `positions` (the maps still running). */
  compact(positions: number[]): void {
    const next = tf.tidy(() => selectRows(this.all(), positions));
    this.clearBasis();
    this.past = next;
  }

  /** All finished vectors as [batch, 1, n] in original map order. The caller disposes. */
  result(batch: number): tf.Tensor3D {
    const order = this.chunks.flatMap((c) => c.maps);
    if (order.length !== batch) throw new Error(`RitzHistory: internal error, ${order.length} of ${batch} vectors formed`);
    const where = new Int32Array(batch);
    order.forEach((map, row) => (where[map] = row));
    return tf.tidy(() => {
      const stacked = this.chunks.length === 1 ? this.chunks[0]!.vectors : tf.concat(this.chunks.map((c) => c.vectors), 0);
      return selectRows(stacked, Array.from(where));
    });
  }

  private clearBasis(): void {
    this.past?.dispose();
    this.past = null;
    tf.dispose(this.recent);
    this.recent = [];
  }

  dispose(): void {
    this.clearBasis();
    this.chunks.forEach((c) => c.vectors.dispose());
    this.chunks = [];
  }
}
