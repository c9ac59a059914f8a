import * as tf from '@tensorflow/tfjs-core';
import { scaleRows } from './rows.js';

/**
 * Approximate top right-singular vectors from the plain three-term Lanczos
 * recurrence, for warm-starting the next measurement.
 *
 * The Lanczos vectors v_1..v_j are kept as they were made (references, no
 * copies), each with the list of maps its rows belong to (the batch shrinks
 * as converged maps leave). When a map leaves, only the coefficients y of
 * its top Ritz vector x = Σ_i y_i v_i are noted (the eigenvector of its BᵀB,
 * in JS); every x is formed once, at the end: per stretch of steps with the
 * same rows, Σ_i y_i ⊙ v_i on the device, then one host pass that adds the
 * stretches into map order and normalises. Without re-orthogonalisation
 * the v_i lose orthogonality once a Ritz value converges, but a converged
 * Ritz vector stays accurate (Paige), and a warm start only needs a good
 * direction, not an exact one. Memory: one [A,1,n] block per step, what
 * `iterations` already bounds.
 */
export class RitzHistory {
  private readonly steps: { v: tf.Tensor3D; maps: number[] }[] = [];
  /** y of every finished map, by original index. */
  private readonly coefficients = new Map<number, Float32Array>();

  /** Keeps v (a reference: tf.clone shares the data), whose rows are the maps `maps`. */
  push(v: tf.Tensor3D, maps: number[]): void {
    this.steps.push({ v: tf.keep(tf.clone(v)), maps });
  }

  /** Notes the Ritz coefficients of finished maps: y [maps.length, taken], row-major. */
  finish(maps: number[], y: Float32Array, taken: number): void {
    maps.forEach((b, row) => this.coefficients.set(b, y.subarray(row * taken, (row + 1) * taken)));
  }

  /** Every map's unit Ritz vector as [batch, 1, n] in original order. The caller disposes. */
  result(batch: number, size: number): tf.Tensor3D {
    if (this.coefficients.size !== batch) throw new Error(`RitzHistory: internal error, ${this.coefficients.size} of ${batch} maps finished`);
    const x = new Float32Array(batch * size);
    let start = 0;
    while (start < this.steps.length) {
      // A stretch of steps whose rows are the same maps (between two compactions).
      const maps = this.steps[start]!.maps;
      let end = start;
      while (end < this.steps.length && this.steps[end]!.maps === maps) end++;
      const partial = tf.tidy(() => {
        const terms = this.steps.slice(start, end).map(({ v }, offset) => {
          // A plain loop: Float32Array.from with a map function walks an iterator (~10× slower on 800 maps).
          const column = new Float32Array(maps.length);
          for (let i = 0; i < maps.length; i++) column[i] = (this.coefficients.get(maps[i] as number) as Float32Array)[start + offset] ?? 0;
          return scaleRows(tf.tensor3d(column, [maps.length, 1, 1]), v);
        });
        return terms.length === 1 ? terms[0]! : tf.addN(terms);
      });
      const values = partial.dataSync();
      partial.dispose();
      maps.forEach((b, row) => {
        for (let c = 0; c < size; c++) x[b * size + c] = (x[b * size + c] as number) + (values[row * size + c] as number);
      });
      start = end;
    }
    for (let b = 0; b < batch; b++) {
      let ss = 0;
      for (let c = 0; c < size; c++) ss += (x[b * size + c] as number) ** 2;
      // A zero or non-finite vector stays as it is: the next start falls back to a random one.
      const inverse = ss > 0 && Number.isFinite(ss) ? 1 / Math.sqrt(ss) : 1;
      for (let c = 0; c < size; c++) x[b * size + c] = (x[b * size + c] as number) * inverse;
    }
    return tf.tensor3d(x, [batch, 1, size]);
  }

  dispose(): void {
    for (const { v } of this.steps) v.dispose();
    this.steps.length = 0;
    this.coefficients.clear();
  }
}
