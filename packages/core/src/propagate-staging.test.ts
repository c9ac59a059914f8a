import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { denseSequence, type BatchedOperator, type JacobianSequence } from './operator.js';
import { propagateProduct } from './propagate.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Identity steps whose apply returns a clone of its input: on the cpu
 * backend the clone shares the uploaded array itself, the staging array the
 * propagation reuses for every upload. Odd steps are 2·P (P reverses the
 * coordinates). ‖J_t⋯J_1‖ = 2^(number of odd steps ≤ t) exactly, and every
 * direction grows alike, so with k = n each FTLE is (odd steps / T)·ln 2.
 */
function aliasingSequence(samples: number, steps: number, size: number): JacobianSequence {
  const op = (t: number): BatchedOperator => ({
    batch: samples,
    size,
    apply: (v) => (t % 2 === 0 ? v.clone() : tf.mul(tf.reverse(v, 2), 2)),
    applyTranspose: (v) => (t % 2 === 0 ? v.clone() : tf.mul(tf.reverse(v, 2), 2)),
  });
  return { samples, steps, size, step: op, all: () => op(0), dispose: () => {} };
}

describe('propagateProduct: the reused upload array', () => {
  it('stays exact when an operator returns (a view of) the uploaded block, and leaks nothing', async () => {
    const [samples, steps, size] = [3, 9, 4];
    const seq = aliasingSequence(samples, steps, size);
    const start = tf.tensor3d(Array.from({ length: samples * size * size }, (_, i) => Math.sin(i + 1)), [samples, size, size]);
    const before = tf.memory().numTensors;
    const { logProduct, ftle } = await propagateProduct(seq, { k: size, start });
    expect(tf.memory().numTensors).toBe(before);
    start.dispose();
    for (let s = 0; s < samples; s++) {
      for (let t = 0; t < steps; t++) {
        const doublings = Math.floor((t + 1) / 2); // odd steps among 0..t
        // float32 rounding of the orthonormal block: ~1e-7 per step.
        expect(Math.abs(logProduct[s]![t]! - doublings * Math.LN2)).toBeLessThan(1e-6);
      }
      for (const x of ftle[s]!) expect(Math.abs(x - (Math.floor(steps / 2) / steps) * Math.LN2)).toBeLessThan(1e-6);
    }
  });
});

describe('propagateProduct: the kept Gaussian start rows', () => {
  it('give the same numbers whether drawn afresh or served from a longer stream of the same seed', async () => {
    const dense = (samples: number, steps: number, n: number) =>
      denseSequence(tf.tensor4d(Array.from({ length: samples * steps * n * n }, (_, i) => Math.sin(1.7 * i) * 0.6), [samples, steps, n, n]));
    const small = dense(2, 5, 4);
    const large = dense(3, 5, 6);
    try {
      // Seed 7 drawn afresh for the small sequence (seed 3 in between replaces what is kept).
      await propagateProduct(large, { k: 3, seed: 3 });
      const fresh = await propagateProduct(small, { k: 3, seed: 7 });
      // Seed 7 drawn for the larger sequence first: the small one is served from its prefix.
      await propagateProduct(large, { k: 3, seed: 7 });
      const served = await propagateProduct(small, { k: 3, seed: 7 });
      expect(served.logProduct).toEqual(fresh.logProduct);
      expect(served.ftle).toEqual(fresh.ftle);
    } finally {
      small.dispose();
      large.dispose();
    }
  });
});
