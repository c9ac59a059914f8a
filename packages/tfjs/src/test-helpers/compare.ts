import * as tf from '@tensorflow/tfjs';

/** max |a − b| over all entries, as a plain number (NaN if either has NaN). */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  if (a.shape.join() !== b.shape.join()) {
    throw new Error(`maxAbsDiff: shapes differ, [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]`);
  }
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    if (Number.isNaN(d)) return NaN;
    if (d > worst) worst = d;
  }
  return worst;
}

/** A seeded probe batch [S, T, d] (values ~ N(0, scale²)). */
export function probeInputs(samples: number, steps: number, features: number, seed = 1, scale = 1): tf.Tensor3D {
  return tf.tidy(() => tf.mul(tf.randomNormal([samples, steps, features], 0, 1, 'float32', seed), scale) as tf.Tensor3D);
}
