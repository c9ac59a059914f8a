import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gramLanczos } from './gram-lanczos.js';
import { batchedLanczos } from './lanczos.js';
import { defaultLanczosScalars } from './lanczos-scalars.js';
import { spectralNormSettings } from './spectral-norm.js';
import { denseMaps } from './test-helpers/dense-maps.js';
import { bothForms, expectColdAndWarmAgree, expectFormsAgree } from './test-helpers/both-forms.js';
import { breakdownMaps, breakdownStarts, expectBreakdownSigma } from './test-helpers/breakdown-maps.js';
import { clusteredMaps, gramOperator } from './test-helpers/gram-operator.js';
import { gaussianMatrix, normalSource, toFloat32 } from './test-helpers/linalg64.js';

/**
 * The host form is what wasm runs (its reads block nothing), and wasm's
 * kernels round as they do, not as the cpu backend's: the two forms held to
 * the same results there too. The other form tests run on the cpu backend.
 */
beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

// wasm's matMul sums in another order than the cpu backend's: the clustered maps' cold Golub–Kahan run ends
// 2.5e-6 short there in either form, past the cpu tests' 2e-6; here the forms' agreement is the point, and
// σ is held to the warm bar.
const COLD_BAR_ON_WASM = 1e-5;

describe('the two forms of the Lanczos arithmetic on the wasm backend', () => {
  it('wasm takes the host form', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(defaultLanczosScalars()).toBe('host');
  });

  it('agree, cold and warm, on Gaussian and clustered maps, for Golub–Kahan and on J Jᵀ', async () => {
    const next = normalSource(51);
    const n = 44;
    for (const list of [Array.from({ length: 10 }, () => toFloat32(gaussianMatrix(n, n, next))), clusteredMaps(24, n, 8)]) {
      const dense = denseMaps(list, n);
      const gram = gramOperator(list, n);
      try {
        await expectColdAndWarmAgree(dense.op, dense.exact, (settings, scalars) => batchedLanczos(dense.op, settings, scalars), COLD_BAR_ON_WASM);
        await expectColdAndWarmAgree(gram.op, gram.exact, (settings, scalars) => gramLanczos(gram.op, settings, scalars), COLD_BAR_ON_WASM);
      } finally {
        dense.dispose();
        gram.dispose();
      }
    }
  });

  it('agree through breakdowns, zero and NaN maps, with the bases kept too', async () => {
    const n = 12;
    const { op, dispose } = denseMaps(breakdownMaps(n, 3), n);
    const start = breakdownStarts(n);
    try {
      for (const settings of [
        { ...spectralNormSettings('test', op, { iterations: 8 }, 'none'), start, startMix: 0 },
        { ...spectralNormSettings('test', op, {}, 'exact'), start, startMix: 0 },
      ]) {
        const forms = await bothForms((scalars) => batchedLanczos(op, settings, scalars));
        expectFormsAgree(forms);
        expectBreakdownSigma(forms.host.result.sigma);
      }
    } finally {
      start.dispose();
      dispose();
    }
  });
});
