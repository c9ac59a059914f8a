import * as tf from '@tensorflow/tfjs';
import { spectralNorm, spectralRadius } from '@gradscope/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { recurrentKernelNorms } from './recurrent-kernel.js';
import { useTestBackend } from './test-helpers/backend.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('recurrentKernelNorms', () => {
  it('‖W‖₂ of the candidate block agrees with the device Lanczos run to the full Krylov space', async () => {
    const n = 24;
    const lstm = tf.layers.lstm({ units: n, recurrentInitializer: tf.initializers.randomNormal({ stddev: 0.3, seed: 4 }) });
    tf.tidy(() => void lstm.apply(tf.ones([1, 2, 3])));
    const cell = lstm.cell as unknown as { recurrentKernel: tf.LayerVariable };
    const block = tf.slice(cell.recurrentKernel.read(), [0, 2 * n], [n, n]) as tf.Tensor2D;
    // iterations = n: the Krylov space is complete, so the Lanczos value is exact up to float32 rounding.
    const reference = await spectralNorm(block, { iterations: n, tolerance: 0 });
    const got = await recurrentKernelNorms(lstm.cell, 'lstm');
    expect(Math.abs(got.norm - reference) / reference).toBeLessThan(1e-5);
    expect(got.spectralRadius).toBe(spectralRadius(block));
    block.dispose();
  });

  it('an orthogonal SimpleRNN kernel (tfjs default) has ‖W‖₂ = ρ(W) = 1', async () => {
    const rnn = tf.layers.simpleRNN({ units: 32 });
    tf.tidy(() => void rnn.apply(tf.ones([1, 2, 3])));
    const before = tf.memory().numTensors;
    const got = await recurrentKernelNorms(rnn.cell, 'simpleRNN');
    expect(Math.abs(got.norm - 1)).toBeLessThan(1e-6);
    expect(Math.abs(got.spectralRadius - 1)).toBeLessThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
  });
});
