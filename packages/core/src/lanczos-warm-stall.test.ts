import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchedLanczos, COLD_QUIET_CHECKS, WARM_MIX } from './lanczos.js';
import { denseOperator } from './operator.js';
import { spectralNormSettings, spectralNormWithWarmVector } from './spectral-norm.js';
import { maxRelativeError, topSingularValue } from './test-helpers/linalg64.js';
import { secondVectorMaps } from './test-helpers/second-vector-maps.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * A warm start that is (almost) a second singular vector: what a previous
 * run hands on when its estimate paused on σ₂ and it stopped there. The
 * maps are U·diag(σ)·Vᵀ with σ₁ = 1, σ₂ given and the rest spread evenly
 * over [0.1, 0.85]; the start is v₂ plus 1e-2·v₁₁ (a paused Ritz
 * vector is not exact: an exact singular vector would break the recurrence
 * down, and the restart from a fresh vector would find σ₁) plus 1e-7·v₁
 * (below float32 resolution of a unit vector: nothing of v₁ survives, only
 * the 1% random share of WARM_MIX carries it). n = 64 > 32 steps: the plain
 * three-term recurrence, as measureModel runs it. The reference is a
 * float64 Jacobi SVD of the float32 matrices, not the Lanczos.
 */
function pausedStart(sigma2: number, batch = 4) {
  const n = 64;
  const { maps: mats, starts } = secondVectorMaps(batch, n, sigma2, 31, (i) => 0.85 - (0.75 * (i - 2)) / (n - 3), (v, c) => v(1, c) + 1e-2 * v(10, c) + 1e-7 * v(0, c));
  const flat = new Float32Array(batch * n * n);
  mats.forEach((m, i) => flat.set(m, i * n * n));
  return { maps: tf.tensor3d(flat, [batch, n, n]), start: tf.tensor3d(starts, [batch, 1, n]), exact: mats.map((m) => topSingularValue(m, n, n)) };
}

describe('a warm start almost orthogonal to the top singular vector (a paused σ₂ handed on)', () => {
  it('four quiet checks find σ₁ even 1% below it', async () => {
    const { maps, start, exact } = pausedStart(0.99);
    const before = tf.memory().numTensors;
    const result = await batchedLanczos(denseOperator(maps), { iterations: 32, tolerance: 1e-6, checkEvery: 4, quietChecks: COLD_QUIET_CHECKS, vectors: 'none', seed: 1, start, startMix: WARM_MIX });
    expect(tf.memory().numTensors).toBe(before);
    // Settling on σ₂ would be 1e-2 off (the code before WARM_MIX and the
    // two-check exit ended at step 4 there); float32 limits σ₁ to ~1e-6.
    expect(maxRelativeError(Array.from(result.sigma), exact)).toBeLessThan(1e-5);
    tf.dispose([maps, start]);
  });

  it('the residual alone stops on σ₂ 3% below σ₁; the warm rule (from step 12, σ quiet over 4 steps) finds σ₁', async () => {
    const { maps, start, exact } = pausedStart(0.97);
    const op = denseOperator(maps);
    const settings = spectralNormSettings('test', op, { start }, 'none');
    const before = tf.memory().numTensors;
    const warm = await batchedLanczos(op, settings);
    // The residual rule without its floor and span: two of the four maps stop on σ₂, 3e-2 short.
    const bare = await batchedLanczos(op, { ...settings, warmStop: { ...settings.warmStop!, minSteps: 0, quietSpan: 0 } });
    expect(tf.memory().numTensors).toBe(before);
    expect(maxRelativeError(Array.from(warm.sigma), exact)).toBeLessThan(1e-5);
    expect(maxRelativeError(Array.from(bare.sigma), exact)).toBeGreaterThan(1e-2);
    tf.dispose([maps, start]);
  });

  /*
   * Found by review: the warm rule with a floor of 8 steps stopped 2–7 of 8
   * maps on σ₂ at 0.98–0.995, where the rule it replaced (two quiet checks
   * 4 steps apart) found σ₁ on all; the floor of 12 finds them too.
   */
  for (const sigma2 of [0.995, 0.99, 0.98]) {
    it(`σ₂ = ${sigma2}, 8 maps: the warm rule as accurate as the two quiet checks it replaced`, async () => {
      const { maps, start, exact } = pausedStart(sigma2, 8);
      const op = denseOperator(maps);
      const settings = spectralNormSettings('test', op, { start }, 'none');
      const { warmStop: _rule, ...rest } = settings;
      const before = tf.memory().numTensors;
      const old = await batchedLanczos(op, { ...rest, checkEvery: 4, quietChecks: 2 });
      const now = await batchedLanczos(op, settings);
      expect(tf.memory().numTensors).toBe(before);
      expect(maxRelativeError(Array.from(old.sigma), exact)).toBeLessThan(1e-5);
      expect(maxRelativeError(Array.from(now.sigma), exact)).toBeLessThan(1e-5);
      tf.dispose([maps, start]);
    });
  }

  it('warm re-measurements of the same maps (the MeasureCache chain) do not hand a paused σ₂ on and on', async () => {
    const { maps, start, exact } = pausedStart(0.99, 8);
    const op = denseOperator(maps);
    let s = start;
    let worst = 0;
    for (let k = 0; k < 5; k++) {
      const r = await spectralNormWithWarmVector(op, { start: s });
      if (s !== start) s.dispose();
      s = r.vectors;
      worst = Math.max(worst, maxRelativeError(r.norms, exact));
    }
    tf.dispose([maps, start, s]);
    // With the floor of 8, two maps stayed 1e-2 short through all five.
    expect(worst).toBeLessThan(1e-5);
  });
});
