import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { canRunOnGram, gramLanczos } from './gram-lanczos.js';
import { batchedLanczos } from './lanczos.js';
import { spectralNorm, spectralNormSettings, spectralNormWithWarmVector } from './spectral-norm.js';
import { denseOperator } from './operator.js';
import { breakdownMaps, expectBreakdownSigma } from './test-helpers/breakdown-maps.js';
import { clusteredMaps, gramOperator } from './test-helpers/gram-operator.js';
import { gaussianMatrix, maxRelativeError, normalSource, toFloat32 } from './test-helpers/linalg64.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const BOUND = 2e-6;

describe('the per-step Lanczos on J Jᵀ (gram-lanczos.ts)', () => {
  it('σ_max of Gaussian and of clustered SimpleRNN-like maps agrees with a float64 SVD, as Golub–Kahan does, and runs as many steps', async () => {
    const next = normalSource(5);
    const n = 48;
    for (const maps of [Array.from({ length: 12 }, () => toFloat32(gaussianMatrix(n, n, next))), clusteredMaps(12, n, 9)]) {
      const { op, exact, dispose } = gramOperator(maps, n);
      const before = tf.memory().numTensors;
      const settings = spectralNormSettings('test', op, {}, 'none');
      expect(canRunOnGram(op, settings)).toBe(true);
      const gram = await gramLanczos(op, settings);
      const golub = await batchedLanczos(op, settings);
      expect(maxRelativeError(Array.from(gram.sigma), exact)).toBeLessThan(BOUND);
      expect(maxRelativeError(Array.from(golub.sigma), exact)).toBeLessThan(BOUND);
      // Same Krylov spaces, same stopping rule: the same number of steps give or take a check.
      expect(Math.abs(gram.steps - golub.steps)).toBeLessThanOrEqual(4);
      expect(tf.memory().numTensors).toBe(before);
      dispose();
    }
  });

  it('from the same start, after the same number of steps, its Ritz value is at least Golub–Kahan\'s (cold, no start given)', async () => {
    const next = normalSource(21);
    const n = 60;
    const { op, exact, dispose } = gramOperator(Array.from({ length: 8 }, () => toFloat32(gaussianMatrix(n, n, next))), n);
    for (const iterations of [4, 8, 12]) {
      // tolerance 0: both run exactly `iterations` steps.
      const settings = spectralNormSettings('test', op, { iterations, tolerance: 0 }, 'none');
      const [gram, golub] = [await gramLanczos(op, settings), await batchedLanczos(op, settings)];
      gram.sigma.forEach((s, b) => {
        expect(s).toBeLessThanOrEqual(exact[b]! * (1 + 1e-6));
        expect(s).toBeGreaterThanOrEqual(golub.sigma[b]! * (1 - 1e-6));
      });
    }
    dispose();
  });

  it('warm vectors are right singular vectors (‖J v‖ = σ) and warm-start the next run on changed maps', async () => {
    const n = 40;
    const first = gramOperator(clusteredMaps(10, n, 3), n);
    const { norms, vectors } = await spectralNormWithWarmVector(first.op);
    // Clustered maps: the 1e-6 stopping tolerance ends Golub–Kahan 2.5e-6 short here too; 1e-5 is the warm bar.
    expect(maxRelativeError(norms, first.exact)).toBeLessThan(1e-5);
    const images = tf.tidy(() => tf.sqrt(tf.sum(tf.square(first.op.apply(vectors)), -1)).dataSync());
    expect(maxRelativeError(Array.from(images), first.exact)).toBeLessThan(1e-4);
    const changed = gramOperator(clusteredMaps(10, n, 3, 1.001), n);
    const warm = await spectralNormWithWarmVector(changed.op, { start: vectors });
    expect(maxRelativeError(warm.norms, changed.exact)).toBeLessThan(1e-5);
    tf.dispose([vectors, warm.vectors]);
    first.dispose();
    changed.dispose();
  });

  it('J Jᵀ = I breaks down at every step and still gives σ = 1; a zero map gives 0, a NaN map NaN', async () => {
    const n = 36;
    const { op, dispose } = gramOperator(breakdownMaps(n, 2), n);
    expectBreakdownSigma(await spectralNorm(op));
    dispose();
  });

  it('a start in an invariant subspace without the top singular vector restarts at the breakdown and still finds σ_max', async () => {
    const n = 40;
    // J = diag(1, 3, 3, …): from e₁, J Jᵀ e₁ = e₁ and the first step breaks down exactly.
    const j = new Float64Array(n * n);
    for (let i = 0; i < n; i++) j[i * n + i] = i === 0 ? 1 : 3;
    const { op, dispose } = gramOperator([j], n);
    const start = tf.tensor3d(Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 0)), [1, 1, n]);
    const settings = { ...spectralNormSettings('test', op, {}, 'none'), start, startMix: 0 };
    const { sigma } = await gramLanczos(op, settings);
    expect(Math.abs(sigma[0]! - 3) / 3).toBeLessThan(1e-6);
    start.dispose();
    dispose();
  });

  it('maps whose σ² leaves float32 range (σ = 1e12, 1e-12) are measured by Golub–Kahan instead, with their vectors', async () => {
    const n = 40;
    const next = normalSource(11);
    const base = Array.from({ length: 3 }, () => toFloat32(gaussianMatrix(n, n, next)));
    const maps = [base[0]!, toFloat32(base[1]!.map((x) => x * 1e12)), toFloat32(base[2]!.map((x) => x * 1e-12))];
    const { op, exact, dispose } = gramOperator(maps, n);
    // Without the fallback the squares overflow (σ⁴ ≈ 1e48) and underflow.
    const { norms, vectors } = await spectralNormWithWarmVector(op);
    expect(maxRelativeError(norms, exact)).toBeLessThan(BOUND);
    const images = tf.tidy(() => tf.sqrt(tf.sum(tf.square(op.apply(vectors)), -1)).dataSync());
    expect(maxRelativeError(Array.from(images), exact)).toBeLessThan(1e-4);
    vectors.dispose();
    dispose();
  });

  it('is not used where a basis is kept (exact vectors, or as many steps as the size)', () => {
    const { op, dispose } = gramOperator(clusteredMaps(2, 8, 1), 8);
    expect(canRunOnGram(op, spectralNormSettings('test', op, {}, 'none'))).toBe(false); // 8 steps on size 8: exact
    expect(canRunOnGram(denseOperator(tf.zeros([1, 40, 40]) as tf.Tensor3D), { iterations: 32, tolerance: 1e-6, checkEvery: 4, vectors: 'none', seed: 1 })).toBe(false);
    dispose();
  });
});
