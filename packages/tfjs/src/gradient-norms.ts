import * as tf from '@tensorflow/tfjs';
import { readsAtOnce } from '@gradscope/core';

/**
 * Up to this many gradient entries in all, on a backend whose synchronous
 * read blocks nothing, the norms are summed on the host. Why: on the device
 * they cost a Square and a Sum per gradient, a Stack, a Sqrt and a download,
 * a fixed ~0.25 ms on wasm whatever the size; on the host each gradient is
 * one read (a copy of wasm's heap) and a loop, ~3 ns an entry. SimpleRNN
 * n = 64's five gradients (5.2k entries): 84 µs on the host against 248 µs.
 * LSTM n = 256's (265k entries): 810 µs against 261 µs — the crossover is
 * near 70k entries.
 */
export const HOST_NORMS_MAX_ENTRIES = 65_536;

/**
 * ‖g‖₂ of every gradient, in one download on the device, or summed on the
 * host where that is cheaper (see HOST_NORMS_MAX_ENTRIES). The training
 * thread pays for this at every step, monitored or clipped.
 *
 * The host squares each entry in float32 as the device does (Math.fround)
 * and adds the squares in float64: where they overflow float32 (an entry
 * past ~1.8e19) the norm is ∞ on both paths, and where they underflow
 * (below ~1e-23) they count as 0 on both, so a step is stopped (stopOnNaN),
 * clipped or zeroed alike whatever the model's size or backend; in between
 * the host's sum is the more accurate.
 */
export function gradientNorms(gradients: tf.Tensor[]): Float32Array {
  if (gradients.length === 0) return new Float32Array(0);
  const entries = gradients.reduce((n, g) => n + g.size, 0);
  if (entries <= HOST_NORMS_MAX_ENTRIES && readsAtOnce()) return hostNorms(gradients);
  return tf.tidy(() => tf.sqrt(tf.stack(gradients.map((g) => tf.sum(tf.square(g))))).dataSync() as Float32Array);
}

function hostNorms(gradients: tf.Tensor[]): Float32Array {
  const norms = new Float32Array(gradients.length);
  gradients.forEach((g, i) => {
    const values = g.dataSync();
    let sum = 0;
    for (let j = 0; j < values.length; j++) {
      const v = values[j] as number;
      sum += Math.fround(v * v);
    }
    // A total past float32's range is ∞, as the device's float32 sum would be.
    norms[i] = Math.sqrt(Math.fround(sum));
  });
  return norms;
}
