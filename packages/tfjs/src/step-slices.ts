import * as tf from '@tensorflow/tfjs';
import { unstackAlong } from './host-split.js';

/**
 * The per-time-step pieces of a sample-major factor [S·T, 1, w] (row s·T + t):
 * T tensors [S, 1, w], piece t holding rows t, T + t, 2T + t, …; on wasm
 * and cpu one read and T small uploads (host-split.ts: on wasm tf.unstack
 * would copy the whole factor once per step; for the 11 factors of an LSTM
 * with S·T = 800 rows of 128 that was 440 MB of copies and ~60% of the
 * product propagation).
 */
export function stepSlices(t: tf.Tensor3D, samples: number, steps: number): tf.Tensor3D[] {
  const width = t.shape[2];
  return tf.tidy(() => unstackAlong(tf.reshape(t, [samples, steps, 1, width]), 1) as tf.Tensor3D[]);
}
