import * as tf from '@tensorflow/tfjs';
import { readsAtOnce } from '@gradscope/core';

/**
 * The per-time-step pieces of a sample-major factor [S·T, 1, w] (row s·T + t):
 * T tensors [S, 1, w], piece t holding rows t, T + t, 2T + t, ….
 *
 * tf.unstack would do this in one call, but on wasm (tfjs 4.22) each of its
 * T slices falls back to the shared CPU slice, which reads the whole input
 * back through readSync: for the 11 factors of an LSTM with S·T = 800 rows of
 * 128 that is 440 MB of copies and ~60% of the product propagation. On wasm
 * and cpu the data already lives in host memory, so one read and T small
 * uploads do it; elsewhere (WebGL) unstack keeps the work on the device.
 */
export function stepSlices(t: tf.Tensor3D, samples: number, steps: number): tf.Tensor3D[] {
  const width = t.shape[2];
  if (!readsAtOnce() || t.dtype !== 'float32') {
    return tf.tidy(() => tf.unstack(tf.reshape(t, [samples, steps, 1, width]), 1) as tf.Tensor3D[]);
  }
  const data = t.dataSync() as Float32Array;
  return Array.from({ length: steps }, (_, step) => {
    const piece = new Float32Array(samples * width);
    for (let s = 0; s < samples; s++) {
      const row = (s * steps + step) * width;
      piece.set(data.subarray(row, row + width), s * width);
    }
    return tf.tensor3d(piece, [samples, 1, width]);
  });
}
