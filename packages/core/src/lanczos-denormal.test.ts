import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BatchedOperator } from './operator.js';
import { spectralNorm } from './spectral-norm.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('spectralNorm after an exact breakdown with denormal residue', () => {
  it('a rank-1 map whose applies leave float32 denormals (≈1e-39) behind: ‖J‖ exactly, not NaN', async () => {
    // Found on a saturated SimpleRNN: most rows of J_t were zero, and the
    // matrix-free apply left denormal rounding residue where the dense product
    // gave exact zeros. 1/max|w| overflowed to ∞ and 0·∞ made the norm NaN.
    // J = a bᵀ with ‖a‖ = 5, ‖b‖ = 2: ‖J‖₂ = 10 by hand.
    const a = tf.tensor3d([[[3, 4, 0, 0]]]);
    const b = tf.tensor3d([[[0, 0, 2, 0]]]);
    const residue = tf.fill([1, 1, 4], 1e-39); // a float32 denormal
    const op: BatchedOperator = {
      batch: 1,
      size: 4,
      // rows v ↦ (J vᵀ)ᵀ = (v·b) a, plus residue; transpose: (v·a) b
      apply: (v) => tf.tidy(() => tf.add(tf.mul(tf.sum(tf.mul(v, b), -1, true), a), residue) as tf.Tensor3D),
      applyTranspose: (v) => tf.tidy(() => tf.add(tf.mul(tf.sum(tf.mul(v, a), -1, true), b), residue) as tf.Tensor3D),
    };
    const [norm] = await spectralNorm(op);
    expect(norm).toBeCloseTo(10, 4);
    tf.dispose([a, b, residue]);
  });
});
