import * as tf from '@tensorflow/tfjs-core';
import { denseOperator, type BatchedOperator, type SelectedOperator } from '../operator.js';
import { selectRows } from '../rows.js';
import { matmul64, normalSource, randomOrthogonal, toFloat32, topSingularValue } from './linalg64.js';

/**
 * Dense maps J_b [B, n, n] (float32 values) with applyOuter from J Jᵀ formed
 * in float64 here, as a cell that knows its structure would: the operator the
 * Gram Lanczos runs on, and the float64 σ_max of every map.
 */
export function gramOperator(maps: Float64Array[], n: number): { op: BatchedOperator; exact: number[]; dispose(): void } {
  const batch = maps.length;
  const flat = new Float32Array(batch * n * n);
  const outer = new Float32Array(batch * n * n);
  maps.forEach((m, b) => {
    flat.set(m, b * n * n);
    const mt = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) mt[j * n + i] = m[i * n + j] as number;
    outer.set(matmul64(m, mt, n, n, n), b * n * n);
  });
  const j = tf.tensor3d(flat, [batch, n, n]);
  const jjt = tf.tensor3d(outer, [batch, n, n]);
  const make = (jm: tf.Tensor3D, gm: tf.Tensor3D): BatchedOperator => ({
    ...denseOperator(jm),
    // Rows: w ↦ w (J Jᵀ), J Jᵀ symmetric.
    applyOuter: (w) => tf.matMul(w, gm),
    select(rows): SelectedOperator {
      const [pj, pg] = [selectRows(jm, rows), selectRows(gm, rows)];
      return { ...make(pj, pg), dispose: () => tf.dispose([pj, pg]) };
    },
  });
  return { op: make(j, jjt), exact: maps.map((m) => topSingularValue(m, n, n)), dispose: () => tf.dispose([j, jjt]) };
}

/** SimpleRNN-like maps D_b R (row b of D diagonal in (0, 1]) with R orthogonal: top singular values clustered just below 1. */
export function clusteredMaps(batch: number, n: number, seed: number, scale = 1): Float64Array[] {
  const next = normalSource(seed);
  const r = randomOrthogonal(n, next);
  return Array.from({ length: batch }, () => {
    const d = Array.from({ length: n }, () => 1 - 0.05 * Math.abs(next()));
    return toFloat32(r.map((x, k) => scale * (d[Math.floor(k / n)] as number) * x));
  });
}

