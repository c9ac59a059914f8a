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
