import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradientNorms, HOST_NORMS_MAX_ENTRIES } from './gradient-norms.js';
import { useTestBackend } from './test-helpers/backend.js';
import { countingKernels } from './test-helpers/kernel-count.js';

beforeAll(async () => {
  await useTestBackend();
});

/** The kernels tfjs runs while `f` does. */
function kernelsDuring<T>(f: () => T): { result: T; kernels: number } {
  const counter = countingKernels();
  try {
    const result = f();
    return { result, kernels: counter.stop() };
  } finally {
    counter.stop(); // restores tfjs if f threw; a second stop changes nothing
  }
}

describe('gradientNorms', () => {
  it('gives exact norms of gradients whose norms are known in closed form, on the host below the threshold and on the device above it', () => {
    // fill(3) over m entries: ‖g‖ = 3√m, exact in float32 for m a perfect square.
    const small = [tf.fill([4, 4], 3), tf.fill([9], -2), tf.zeros([5])];
    const big = [tf.fill([300, 400], 0.5)]; // 120 000 entries: ‖g‖ = 0.5·√120000
    expect(big[0]!.size).toBeGreaterThan(HOST_NORMS_MAX_ENTRIES);
    const host = kernelsDuring(() => gradientNorms(small));
    const device = kernelsDuring(() => gradientNorms(big));
    expect(Array.from(host.result)).toEqual([12, 6, 0]);
    expect(device.result[0]).toBeCloseTo(0.5 * Math.sqrt(120_000), 2);
    // Which path ran: the host reads (no kernel), the device sums (kernels).
    if (['wasm', 'cpu'].includes(tf.getBackend())) expect(host.kernels).toBe(0);
    expect(device.kernels).toBeGreaterThan(0);
    tf.dispose([...small, ...big]);
  });

  it('agrees with Math.hypot over the values to float32 rounding on either path, and keeps NaN and ∞', () => {
    const shapes = [[8, 64], [64, 64], [64], [64, 1], [1]];
    const gradients = shapes.map((s, i) => tf.randomNormal(s, 0, 1 + i, 'float32', 40 + i));
    const exact = gradients.map((g) => Math.hypot(...(g.dataSync() as Float32Array)));
    const host = gradientNorms(gradients);
    // The same gradients past the threshold go to the device.
    const padded = [...gradients, tf.zeros([HOST_NORMS_MAX_ENTRIES])];
    const device = gradientNorms(padded);
    exact.forEach((e, i) => {
      expect(Math.abs(host[i]! - e) / e).toBeLessThan(1e-7); // float64 sums, one rounding to float32
      expect(Math.abs(device[i]! - e) / e).toBeLessThan(1e-5); // float32 sums of ≤ 4096 squares
    });
    expect(device[gradients.length]).toBe(0);
    const odd = [tf.tensor1d([1, NaN]), tf.tensor1d([Infinity, 2])];
    expect(Array.from(gradientNorms(odd)).map(String)).toEqual(['NaN', 'Infinity']);
    tf.dispose([...padded, ...odd]);
  });

  it('overflows and underflows as the device does, so that clipping and stopOnNaN see the same norm on either path', () => {
    const huge = [tf.fill([4], 1e20)]; // squares past float32's range
    const tiny = [tf.fill([4], 1e-25), tf.fill([1], 3)]; // squares below float32's smallest denormal
    const padding = tf.zeros([HOST_NORMS_MAX_ENTRIES]); // past the threshold: the device path
    const onDevice = (gradients: tf.Tensor[]) => gradientNorms([...gradients, padding]);
    expect(gradientNorms(huge)[0]).toBe(Infinity);
    expect(onDevice(huge)[0]).toBe(Infinity);
    expect(Array.from(gradientNorms(tiny))).toEqual([0, 3]);
    expect(Array.from(onDevice(tiny)).slice(0, 2)).toEqual([0, 3]);
    // 3e18 squared is 9e36, in range: both finite, and equal to float32 rounding.
    const large = [tf.fill([4], 3e18)];
    expect(gradientNorms(large)[0]).toBeCloseTo(6e18, -13);
    expect(onDevice(large)[0]).toBeCloseTo(6e18, -13);
    tf.dispose([...huge, ...tiny, ...large, padding]);
  });

  it('is empty for no gradients', () => {
    expect(gradientNorms([]).length).toBe(0);
  });
});
