import * as tf from '@tensorflow/tfjs-core';
import { denseOperator, type BatchedOperator, type SelectedOperator } from '../operator.js';
import { selectRows } from '../rows.js';
import { topSingularValue } from './linalg64.js';

/** Dense maps [B, n, n] (float64 values, stored as float32) as an operator that can select rows, so a run compacts; and their float64 σ_max. */
export function denseMaps(list: Float64Array[], n: number): { op: BatchedOperator; exact: number[]; dispose(): void } {
  const flat = new Float32Array(list.length * n * n);
  list.forEach((m, b) => flat.set(m, b * n * n));
  const all = tf.tensor3d(flat, [list.length, n, n]);
  const make = (j: tf.Tensor3D): BatchedOperator => ({
    ...denseOperator(j),
    select(rows): SelectedOperator {
      const picked = selectRows(j, rows);
      return { ...make(picked), dispose: () => picked.dispose() };
    },
  });
  return { op: make(all), exact: list.map((m) => topSingularValue(m, n, n)), dispose: () => all.dispose() };
}
