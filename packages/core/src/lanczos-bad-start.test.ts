import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gramLanczos } from './gram-lanczos.js';
import { batchedLanczos } from './lanczos.js';
import { spectralNorm, spectralNormSettings } from './spectral-norm.js';
import { bothForms, expectFormsAgree } from './test-helpers/both-forms.js';
import { clusteredMaps, gramOperator } from './test-helpers/gram-operator.js';
import { maxRelativeError } from './test-helpers/linalg64.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * LanczosSettings.start: a row that has a NaN or infinite entry is replaced
 * by the seeded vector. Golub–Kahan's start once made such rows
 * NaN on the device (0 · 1/NaN), so σ came out NaN for a finite map, also
 * through the J Jᵀ run's re-measure of maps outside [1e-8, 1e8] (a review
 * found it). Checked against float64 SVDs of the same maps, at the
 * estimator's bar, not the warm one: these starts are not the previous
 * measurement's vectors, and the warm rule on clustered maps from such a
 * start leaves up to ~3e-5 here.
 */
describe('a warm start with NaN and infinite rows', () => {
  const n = 40;
  const start = () => {
    const v = new Float32Array(3 * n).fill(1 / Math.sqrt(n));
    v[3] = NaN;
    v[n + 5] = Infinity;
    return tf.tensor3d(v, [3, 1, n]); // the third row is a plain start
  };

  for (const scale of [1, 1e-9]) {
    it(`measures every map, in both forms and through spectralNorm (maps scaled by ${scale})`, async () => {
      const { op, exact, dispose } = gramOperator(clusteredMaps(3, n, 11, scale), n);
      const v = start();
      try {
        const settings = spectralNormSettings('test', op, { start: v }, 'approximate');
        for (const lanczos of [gramLanczos, batchedLanczos]) {
          const forms = await bothForms((scalars) => lanczos(op, settings, scalars));
          expectFormsAgree(forms);
          expect(maxRelativeError(Array.from(forms.host.result.sigma), exact), lanczos.name).toBeLessThanOrEqual(1e-3);
        }
        const sigma = (await spectralNorm(op, { start: v })) as number[];
        expect(maxRelativeError(sigma, exact), 'spectralNorm').toBeLessThanOrEqual(1e-3);
      } finally {
        v.dispose();
        dispose();
      }
    });
  }
});
