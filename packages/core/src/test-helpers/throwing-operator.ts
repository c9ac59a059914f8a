import * as tf from '@tensorflow/tfjs-core';
import { denseOperator, type BatchedOperator } from '../operator.js';

export type OperatorMethod = 'apply' | 'applyTranspose' | 'applyOuter';

/**
 * Seeded Gaussian maps [batch, n, n] whose `which` throws at its `failAt`-th
 * call, after making a tensor of its own as a real operator would: for the
 * error paths, where a run must free every tensor it made.
 */
export function throwingOperator(n: number, batch: number, failAt: number, which: OperatorMethod): { op: BatchedOperator; dispose(): void } {
  const maps = tf.randomNormal([batch, n, n], 0, 1, 'float32', 7) as tf.Tensor3D;
  const dense = denseOperator(maps);
  let calls = 0;
  const wrap = (name: OperatorMethod, f: (v: tf.Tensor3D) => tf.Tensor3D) => (v: tf.Tensor3D) => {
    if (name === which && ++calls === failAt) {
      tf.add(v, 1);
      throw new Error(`${name} failed`);
    }
    return f(v);
  };
  const op: BatchedOperator = {
    batch,
    size: n,
    apply: wrap('apply', dense.apply),
    applyTranspose: wrap('applyTranspose', dense.applyTranspose),
    applyOuter: wrap('applyOuter', (w) => tf.tidy(() => dense.apply(dense.applyTranspose(w)))),
  };
  return { op, dispose: () => maps.dispose() };
}

/** diag(1, 3, 3, …) [n, n] in float64: from e₁ + ε e₂ the first step's residual is of the order of ε. */
export function nearBreakdownMap(n: number): Float64Array {
  const diagonal = new Float64Array(n * n);
  for (let i = 0; i < n; i++) diagonal[i * n + i] = i === 0 ? 1 : 3;
  return diagonal;
}

/** Start rows e₁ + ε e₂ [epsilons.length, 1, n]. */
export function nearBreakdownStarts(epsilons: number[], n: number): tf.Tensor3D {
  const rows = new Float32Array(epsilons.length * n);
  epsilons.forEach((e, b) => {
    rows[b * n] = 1;
    rows[b * n + 1] = e;
  });
  return tf.tensor3d(rows, [epsilons.length, 1, n]);
}
