import * as tf from '@tensorflow/tfjs';
import { spectralNorm } from '@gradscope/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cellJacobians } from '../cell-jacobians.js';
import { useTestBackend } from '../test-helpers/backend.js';
import { probeInputs } from '../test-helpers/compare.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('SimpleRNN with saturated sigmoid units', () => {
  it('‖J_t‖ ≈ 1e-26 (bias −60: φ′ = e⁻⁶⁰) from the analytic operator, as from the dense autodiff Jacobians, not 0', async () => {
    const n = 40; // > 32 default Lanczos steps: the analytic operator's run goes to J Jᵀ
    const layer = tf.layers.simpleRNN({
      units: n,
      activation: 'sigmoid',
      biasInitializer: tf.initializers.constant({ value: -60 }),
      recurrentInitializer: tf.initializers.orthogonal({ seed: 3 }),
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    });
    const xs = probeInputs(2, 3, 4, 5, 0.1);
    tf.tidy(() => void layer.apply(xs));
    const [analytic] = cellJacobians(layer, xs, { method: 'analytic' });
    const [dense] = cellJacobians(layer, xs, { method: 'autodiff' });
    // The dense operator has no applyOuter: Golub–Kahan, which holds numbers of the size of σ only.
    const want = await spectralNorm(dense!.sequence.all());
    const got = await spectralNorm(analytic!.sequence.all());
    for (const w of want) expect(w).toBeGreaterThan(1e-27);
    const worst = Math.max(...got.map((x, i) => Math.abs(x - want[i]!) / want[i]!));
    expect(worst).toBeLessThan(1e-5);
    analytic!.sequence.dispose();
    dense!.sequence.dispose();
    xs.dispose();
    layer.dispose();
  });
});
