import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BatchedOperator, SelectedOperator } from './operator.js';
import { spectralNormWithWarmVector } from './spectral-norm.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Diagonal maps diag(d_b) with applyOuter, whose selected subsets can apply
 * J Jᵀ (all the Lanczos on J Jᵀ asks of them) but fail on apply: the
 * Golub–Kahan re-measurement of out-of-range maps is then the step that throws.
 */
function failingRemeasure(d: number[][]): { op: BatchedOperator; dispose(): void } {
  const make = (t: tf.Tensor3D): BatchedOperator => ({
    batch: t.shape[0],
    size: t.shape[2],
    apply: (v) => tf.mul(v, t),
    applyTranspose: (v) => tf.mul(v, t),
    applyOuter: (w) => tf.tidy(() => tf.mul(tf.mul(w, t), t)),
    select(rows): SelectedOperator {
      const picked = tf.gather(t, rows) as tf.Tensor3D;
      return {
        ...make(picked),
        apply: () => {
          throw new Error('apply failed');
        },
        dispose: () => picked.dispose(),
      };
    },
  });
  const t = tf.tensor3d(d.flat(), [d.length, 1, d[0]!.length]);
  return { op: make(t), dispose: () => t.dispose() };
}

describe('the Lanczos on J Jᵀ on an error path', () => {
  it('leaves no tensor behind when the Golub–Kahan re-measurement of a NaN map throws', async () => {
    const n = 40; // > 32 steps: the run goes to J Jᵀ
    const good = Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 0.5));
    const nan = good.map((x, i) => (i === 3 ? NaN : x));
    const { op, dispose } = failingRemeasure([good, nan]);
    const before = tf.memory().numTensors;
    // The NaN map is measured again by Golub–Kahan on op.select([1]), whose apply throws.
    await expect(spectralNormWithWarmVector(op)).rejects.toThrow('apply failed');
    // The right vectors formed before the re-measurement must not outlive the failure.
    expect(tf.memory().numTensors).toBe(before);
    dispose();
  });
});
