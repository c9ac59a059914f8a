import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchedLanczos, type LanczosSettings } from './lanczos.js';
import type { BatchedOperator } from './operator.js';
import { spectralNormSettings } from './spectral-norm.js';
import { denseMaps } from './test-helpers/dense-maps.js';
import { bothForms, expectColdAndWarmAgree, expectFormsAgree } from './test-helpers/both-forms.js';
import { clusteredMaps } from './test-helpers/gram-operator.js';
import { breakdownMaps, breakdownStarts, expectBreakdownSigma, nearBreakdownMap, nearBreakdownStarts } from './test-helpers/breakdown-maps.js';
import { throwingOperator } from './test-helpers/throwing-operator.js';
import { gaussianMatrix, normalSource, toFloat32 } from './test-helpers/linalg64.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const bothGolubKahan = (op: BatchedOperator, settings: LanczosSettings) => bothForms((scalars) => batchedLanczos(op, settings, scalars));

describe('the two forms of the Golub–Kahan step (golub-kahan-step.ts, lanczos-scalars.ts)', () => {
  it('give the same σ, steps, work and vectors on Gaussian and clustered maps: cold, warm, with compactions, and with the bases kept', async () => {
    const next = normalSource(41);
    const n = 44;
    for (const list of [Array.from({ length: 10 }, () => toFloat32(gaussianMatrix(n, n, next))), clusteredMaps(24, n, 6)]) {
      const { op, exact, dispose } = denseMaps(list, n);
      try {
        await expectColdAndWarmAgree(op, exact, (settings, scalars) => batchedLanczos(op, settings, scalars));
        // Both bases kept and fully re-orthogonalised; the top vectors formed from them.
        const exactRun = await bothGolubKahan(op, spectralNormSettings('test', op, { iterations: 20 }, 'exact'));
        expectFormsAgree(exactRun);
      } finally {
        dispose();
      }
    }
  });

  it('agree through breakdowns (the identity, an orthogonal map, a start in an invariant subspace, a complete Krylov space), a zero map and a NaN map', async () => {
    const n = 12;
    const { op, dispose } = denseMaps(breakdownMaps(n, 3), n);
    const start = breakdownStarts(n);
    try {
      const runs: LanczosSettings[] = [
        // Fewer steps than n: the plain recurrence, restarts from fresh vectors.
        spectralNormSettings('test', op, { iterations: 8 }, 'none'),
        { ...spectralNormSettings('test', op, { iterations: 8 }, 'none'), start, startMix: 0 },
        // n steps: both bases kept, restarts orthogonal to them.
        { ...spectralNormSettings('test', op, {}, 'exact'), start, startMix: 0 },
      ];
      for (const settings of runs) {
        const forms = await bothGolubKahan(op, settings);
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
    const n = 12;
    const epsilons = [3e-11, 1e-12, 3e-13, 1e-13, 3e-14, 1e-15];
    const { op, dispose } = denseMaps(epsilons.map(() => nearBreakdownMap(n)), n);
    const start = nearBreakdownStarts(epsilons, n);
    try {
      for (const settings of [
        { ...spectralNormSettings('test', op, { iterations: 8 }, 'approximate'), start, startMix: 0 },
        { ...spectralNormSettings('test', op, {}, 'exact'), start, startMix: 0 },
      ]) {
        const forms = await bothGolubKahan(op, settings);
        expectFormsAgree(forms);
        forms.host.result.sigma.forEach((s) => expect(Math.abs(s - 3) / 3).toBeLessThan(1e-6));
      }
    } finally {
      start.dispose();
      dispose();
    }
  });

  it('leave no tensor behind when apply or applyTranspose throws in the middle of a run, bases kept or not', async () => {
    for (const scalars of ['host', 'device'] as const) {
      for (const which of ['apply', 'applyTranspose'] as const) {
        for (const vectors of ['none', 'exact'] as const) {
          const { op, dispose } = throwingOperator(8, 3, 3, which);
          const before = tf.memory().numTensors;
          await expect(batchedLanczos(op, spectralNormSettings('test', op, { iterations: 6 }, vectors), scalars)).rejects.toThrow(`${which} failed`);
          expect(tf.memory().numTensors, `left by the ${scalars} form when ${which} throws (vectors ${vectors})`).toBe(before);
          dispose();
        }
      }
    }
  });
});
