import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gramLanczos } from './gram-lanczos.js';
import { defaultLanczosScalars } from './lanczos-scalars.js';
import type { LanczosSettings } from './lanczos.js';
import type { BatchedOperator } from './operator.js';
import { spectralNormSettings } from './spectral-norm.js';
import { bothForms, expectColdAndWarmAgree, expectFormsAgree } from './test-helpers/both-forms.js';
import { clusteredMaps, gramOperator } from './test-helpers/gram-operator.js';
import { breakdownMaps, breakdownStarts, expectBreakdownSigma, nearBreakdownMap, nearBreakdownStarts } from './test-helpers/breakdown-maps.js';
import { throwingOperator } from './test-helpers/throwing-operator.js';
import { gaussianMatrix, normalSource, toFloat32 } from './test-helpers/linalg64.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const bothGram = (op: BatchedOperator, settings: LanczosSettings) => bothForms((scalars) => gramLanczos(op, settings, scalars));

describe('the two forms of the J Jᵀ Lanczos step (gram-step.ts, lanczos-scalars.ts)', () => {
  it('the cpu and wasm backends read at once, so the coefficients are done on the host there', () => {
    expect(tf.getBackend()).toBe('cpu');
    expect(defaultLanczosScalars()).toBe('host');
  });

  it('give the same σ, steps, work and warm vectors on Gaussian and clustered maps, cold and warm, through compactions', async () => {
    const next = normalSource(31);
    const n = 48;
    // Clustered SimpleRNN-like maps leave at different checks, so the batch is compacted several times on the way.
    for (const maps of [Array.from({ length: 10 }, () => toFloat32(gaussianMatrix(n, n, next))), clusteredMaps(24, n, 4)]) {
      const { op, exact, dispose } = gramOperator(maps, n);
      try {
        await expectColdAndWarmAgree(op, exact, (settings, scalars) => gramLanczos(op, settings, scalars));
      } finally {
        dispose();
      }
    }
  });

  it('agree through breakdowns (J Jᵀ = I, an orthogonal map, a start in an invariant subspace), a zero map and a NaN map', async () => {
    const n = 36;
    const { op, dispose } = gramOperator(breakdownMaps(n, 2), n);
    const start = breakdownStarts(n);
    try {
      for (const settings of [spectralNormSettings('test', op, {}, 'none'), { ...spectralNormSettings('test', op, {}, 'none'), start, startMix: 0 }]) {
        const forms = await bothGram(op, settings);
        expectFormsAgree(forms);
        expectBreakdownSigma(forms.host.result.sigma);
      }
    } finally {
      start.dispose();
      dispose();
    }
  });

  // Residuals that are not zero but below BREAKDOWN·scale (1e-12 of it): a breakdown by the threshold, not by an exact zero.
  it('agree on starts a hair from an invariant subspace (diag(1, 3, 3, …) from e₁ + ε e₂, ε = 3e-11 … 1e-15), and find σ = 3', async () => {
    const n = 36;
    const epsilons = [3e-11, 1e-12, 3e-13, 1e-13, 3e-14, 1e-15];
    const { op, dispose } = gramOperator(epsilons.map(() => nearBreakdownMap(n)), n);
    const start = nearBreakdownStarts(epsilons, n);
    try {
      const forms = await bothGram(op, { ...spectralNormSettings('test', op, { iterations: 8 }, 'approximate'), start, startMix: 0 });
      expectFormsAgree(forms);
      forms.host.result.sigma.forEach((s) => expect(Math.abs(s - 3) / 3).toBeLessThan(1e-6));
    } finally {
      start.dispose();
      dispose();
    }
  });

  // In the middle (applyOuter), at the start (u₁ = J v₁, the run's one apply) and at the end (its one applyTranspose, for the vectors).
  it('leave no tensor behind when the operator throws in the middle, at the start or at the end of a run', async () => {
    for (const [which, failAt] of [['applyOuter', 3], ['apply', 1], ['applyTranspose', 1]] as const) {
      for (const scalars of ['host', 'device'] as const) {
        const { op, dispose } = throwingOperator(40, 3, failAt, which);
        const before = tf.memory().numTensors;
        await expect(gramLanczos(op, spectralNormSettings('test', op, { iterations: 6 }, 'approximate'), scalars)).rejects.toThrow(`${which} failed`);
        expect(tf.memory().numTensors, `left by the ${scalars} form when ${which} throws`).toBe(before);
        dispose();
      }
    }
  });
});
