import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BatchedOperator } from './operator.js';
import { spectralNorm } from './spectral-norm.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Diagonal maps J_b = diag(d_b), as a SimpleRNN with R = I would give them:
 * rows v ↦ v ⊙ d, and J Jᵀ applied as (w ⊙ d) ⊙ d on the device, in
 * float32, the way the cell's applyOuter does. ‖J_b‖ = max |d_b| by hand.
 */
function diagonalOperator(d: number[][]): { op: BatchedOperator; dispose(): void } {
  const n = d[0]!.length;
  const t = tf.tensor3d(d.flat(), [d.length, 1, n]);
  const op: BatchedOperator = {
    batch: d.length,
    size: n,
    apply: (v) => tf.mul(v, t),
    applyTranspose: (v) => tf.mul(v, t),
    applyOuter: (w) => tf.tidy(() => tf.mul(tf.mul(w, t), t)),
  };
  return { op, dispose: () => t.dispose() };
}

describe('the Lanczos on J Jᵀ when the squares underflow to exact zeros', () => {
  it('a map with σ = 1e-25 (a SimpleRNN whose sigmoid units all sit near a = −57.5) gives 1e-25, as Golub–Kahan does, not 0', async () => {
    // n = 40 > 32 default steps: no basis is kept, so the run goes to J Jᵀ.
    const n = 40;
    // One clear top value (the rest at most 0.6 of it): any Lanczos converges fast.
    const profile = Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 0.3 + (0.3 * i) / n));
    const tiny = profile.map((x) => 1e-25 * x);
    const normal = profile.map((x) => 0.9 * x);
    const zero = new Array<number>(n).fill(0);
    const { op, dispose } = diagonalOperator([tiny, normal, zero]);
    const before = tf.memory().numTensors;
    const sigma = await spectralNorm(op);
    // float32 values of the maps' top entries: what the device holds.
    const want = [Math.fround(1e-25), Math.fround(0.9)];
    // σ² ≈ 1e-50 is below float32's smallest denormal (1.4e-45): every J Jᵀ w is
    // exactly 0, the run sees a zero map, and σ = 0 is not measured again.
    expect(Math.abs(sigma[0]! - want[0]!) / want[0]!).toBeLessThan(1e-6);
    expect(Math.abs(sigma[1]! - want[1]!) / want[1]!).toBeLessThan(1e-6);
    // The true zero map stays exactly 0.
    expect(sigma[2]).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    dispose();
  });
});
