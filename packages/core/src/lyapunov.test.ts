import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { lyapunovSpectrum } from './lyapunov.js';
import { denseSequence } from './operator.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('lyapunovSpectrum input', () => {
  it('a bare tensor is rejected with the advice to wrap it with denseSequence; wrapped, it gives the exponents', async () => {
    // J_t = diag(2, 0.5) for 4 steps: λ = ln 2 and ln 0.5, by hand.
    const jacobians = tf.tensor3d(Array.from({ length: 4 }, () => [[2, 0], [0, 0.5]]));
    const before = tf.memory().numTensors;
    await expect(lyapunovSpectrum(jacobians as never)).rejects.toThrow(
      'lyapunovSpectrum: takes a JacobianSequence, got a tf.Tensor of shape [4, 2, 2]; wrap dense Jacobians ([T, n, n] or [S, T, n, n]) with denseSequence(tensor)',
    );
    expect(tf.memory().numTensors).toBe(before);
    const seq = denseSequence(jacobians);
    const [lambdas] = await lyapunovSpectrum(seq, { k: 2 });
    seq.dispose();
    jacobians.dispose();
    expect(lambdas![0]).toBeCloseTo(Math.log(2), 5);
    expect(lambdas![1]).toBeCloseTo(Math.log(0.5), 5);
  });
});
