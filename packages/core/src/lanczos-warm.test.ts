import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchedLanczos } from './lanczos.js';
import { denseOperator, denseSequence } from './operator.js';
import { analyzeSequence } from './analyze-sequence.js';
import { spectralNormWithWarmVector } from './spectral-norm.js';
import { gaussianMatrix, maxRelativeError, normalSource, toFloat32, topSingularValue } from './test-helpers/linalg64.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** B Gaussian n×n matrices plus `noise`·(other Gaussians): a batch and a slightly changed copy, with exact σ_max of both. */
function batchPair(batch: number, n: number, noise: number, seed: number) {
  const next = normalSource(seed);
  const a: Float64Array[] = [];
  const b: Float64Array[] = [];
  for (let i = 0; i < batch; i++) {
    const m = gaussianMatrix(n, n, next);
    const d = gaussianMatrix(n, n, next, noise);
    a.push(toFloat32(m));
    b.push(toFloat32(m.map((x, k) => x + (d[k] as number))));
  }
  const tensor = (ms: Float64Array[]) => {
    const flat = new Float32Array(batch * n * n);
    ms.forEach((m, i) => flat.set(m, i * n * n));
    return tf.tensor3d(flat, [batch, n, n]);
  };
  return { a: tensor(a), b: tensor(b), exactA: a.map((m) => topSingularValue(m, n, n)), exactB: b.map((m) => topSingularValue(m, n, n)) };
}

// As spectral-norm.test.ts: float32 limits Ritz values to ~1e-7·√n.
const BOUND = 2e-6;

describe('warm starts and dropping converged maps (three-term recurrence, n > iterations)', () => {
  it('approximate vectors: norms as accurate as spectralNorm, and ‖J v‖ ≈ σ', async () => {
    const { a, b, exactA } = batchPair(6, 64, 0, 3);
    const { norms, vectors } = await spectralNormWithWarmVector(denseOperator(a));
    expect(maxRelativeError(norms, exactA)).toBeLessThan(BOUND);
    const jv = tf.tidy(() => Array.from(tf.norm(tf.matMul(vectors, a, false, true), 'euclidean', -1).dataSync()));
    // A direction, not an exact vector: its Rayleigh quotient is within 1e-3.
    expect(maxRelativeError(jv, exactA)).toBeLessThan(1e-3);
    tf.dispose([a, b, vectors]);
  });

  it('a warm start on slightly changed maps gives the same accuracy in fewer steps', async () => {
    const { a, b, exactB } = batchPair(8, 64, 1e-3, 4);
    const first = await spectralNormWithWarmVector(denseOperator(a));
    const settings = { iterations: 32, tolerance: 1e-6, checkEvery: 4, vectors: 'none' as const, seed: 1 };
    const cold = await batchedLanczos(denseOperator(b), settings);
    const warm = await batchedLanczos(denseOperator(b), { ...settings, start: first.vectors });
    expect(maxRelativeError(Array.from(cold.sigma), exactB)).toBeLessThan(BOUND);
    expect(maxRelativeError(Array.from(warm.sigma), exactB)).toBeLessThan(BOUND);
    expect(warm.work).toBeLessThan(0.75 * cold.work);
    tf.dispose([a, b, first.vectors]);
  });

  it('maps that settle early leave the batch; the others still converge', async () => {
    // Rank-one maps settle at the first check (all steps after the first are
    // breakdowns), Gaussian ones need many more: the batch must shrink.
    const n = 48;
    const next = normalSource(8);
    const mats: Float64Array[] = [];
    for (let i = 0; i < 8; i++) {
      if (i % 2 === 0) mats.push(toFloat32(gaussianMatrix(n, n, next)));
      else {
        const u = gaussianMatrix(n, 1, next);
        const v = gaussianMatrix(1, n, next);
        mats.push(toFloat32(Float64Array.from({ length: n * n }, (_, k) => (u[Math.floor(k / n)] as number) * (v[k % n] as number))));
      }
    }
    const flat = new Float32Array(8 * n * n);
    mats.forEach((m, i) => flat.set(m, i * n * n));
    const t = tf.tensor3d(flat, [8, n, n]);
    const before = tf.memory().numTensors;
    const result = await batchedLanczos(denseOperator(t), { iterations: 32, tolerance: 1e-6, checkEvery: 4, vectors: 'approximate', seed: 1 });
    expect(maxRelativeError(Array.from(result.sigma), mats.map((m) => topSingularValue(m, n, n)))).toBeLessThan(BOUND);
    expect(result.work).toBeLessThan(8 * result.steps);
    expect(result.vectors!.shape).toEqual([8, 1, n]);
    result.vectors!.dispose();
    expect(tf.memory().numTensors).toBe(before);
    t.dispose();
  });
});

describe('analyzeSequence with warm starts', () => {
  it('stepStart/stepVectors: same numbers as a cold call, vectors of shape [S·T, 1, n], no leaks', async () => {
    const [samples, steps, n] = [2, 5, 40];
    const next = normalSource(12);
    const data = Float32Array.from(gaussianMatrix(samples * steps * n, n, next, 1 / Math.sqrt(n)));
    const j = tf.tensor4d(data, [samples, steps, n, n]);
    const seq = denseSequence(j);
    j.dispose();
    const cold = await analyzeSequence(seq);
    const before = tf.memory().numTensors;
    const first = await analyzeSequence(seq, { stepVectors: true });
    expect(first.stepVectors!.shape).toEqual([samples * steps, 1, n]);
    const warm = await analyzeSequence(seq, { stepStart: first.stepVectors!, stepVectors: true });
    first.stepVectors!.dispose();
    warm.stepVectors!.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(maxRelativeError(warm.stepNorm.flat(), cold.stepNorm.flat())).toBeLessThan(BOUND);
    warm.logProduct.flat().forEach((x, i) => expect(Math.abs(x - cold.logProduct.flat()[i]!)).toBeLessThan(1e-5));
    const bad = tf.zeros([3, 1, n]) as tf.Tensor3D;
    await expect(analyzeSequence(seq, { stepStart: bad })).rejects.toThrow(/stepStart must have shape \[10, 1, 40\], got \[3, 1, 40\]/);
    bad.dispose();
    seq.dispose();
  });

  it('the propagation opens with the per-step Lanczos\'s vector of J_1: exact at t = 1 for k < n, n > iterations', async () => {
    // n = 40 > 32 steps: the per-step vectors are Ritz vectors of the plain
    // recurrence (ritz-history.ts), not of a kept basis. With k = 2 of 40
    // directions, ln‖J_1 Q_0‖ is ln‖J_1‖ only if q₁ is J_1's top vector; the
    // reference is a float64 Jacobi SVD of the same float32 matrices.
    const [samples, steps, n] = [3, 4, 40];
    const next = normalSource(21);
    const data = Float32Array.from(gaussianMatrix(samples * steps * n, n, next, 1 / Math.sqrt(n)));
    const before = tf.memory().numTensors;
    const j = tf.tensor4d(data, [samples, steps, n, n]);
    const seq = denseSequence(j);
    j.dispose();
    const result = await analyzeSequence(seq, { k: 2 });
    seq.dispose();
    expect(tf.memory().numTensors).toBe(before);
    for (let s = 0; s < samples; s++) {
      const exact = topSingularValue(data.subarray(s * steps * n * n, (s * steps + 1) * n * n), n, n);
      expect(Math.abs(result.logProduct[s]![0]! - Math.log(exact))).toBeLessThan(BOUND);
      expect(Math.abs(result.stepNorm[s]![0]! - exact) / exact).toBeLessThan(BOUND);
    }
  });
});
