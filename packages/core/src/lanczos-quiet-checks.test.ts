import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { batchedLanczos, COLD_QUIET_CHECKS } from './lanczos.js';
import { denseOperator } from './operator.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Diagonal maps (σ_max = 1 exactly, σ₂ = 0.95, the rest spread below)
 * whose start has only `tiny` along the top singular vector: the estimate
 * first converges to σ₂ and sits there, still to 1e-6 between checks, until
 * the top component has grown enough to show — the pause that ended cold
 * runs early on fresh GRUs. How long it lasts depends on `tiny` (below
 * 1e-12 even 64 steps do not find σ₁: nothing will, in float32).
 */
function pausedBatch(tinies: number[], n: number) {
  const data = new Float32Array(tinies.length * n * n);
  const start = new Float32Array(tinies.length * n).fill(1);
  tinies.forEach((tiny, b) => {
    for (let i = 0; i < n; i++) data[b * n * n + i * n + i] = i === 0 ? 1 : 0.95 * (1 - (0.9 * (i - 1)) / (n - 1));
    start[b * n] = tiny;
  });
  return { maps: tf.tensor3d(data, [tinies.length, n, n]), start: tf.tensor3d(start, [tinies.length, 1, n]) };
}

it('a cold run ends a map only after four quiet checks: two end some paused maps on σ₂', async () => {
  const n = 96;
  const { maps, start } = pausedBatch([1e-6, 1e-8, 1e-10, 1e-12], n);
  const before = tf.memory().numTensors;
  const settings = { iterations: 32, stragglerIterations: 64, tolerance: 1e-6, checkEvery: 4, vectors: 'none' as const, seed: 1, start };
  const two = await batchedLanczos(denseOperator(maps), { ...settings, quietChecks: 2 });
  const four = await batchedLanczos(denseOperator(maps), { ...settings, quietChecks: COLD_QUIET_CHECKS });
  expect(tf.memory().numTensors).toBe(before);
  const errors = (sigma: Float64Array) => Array.from(sigma, (x) => (1 - x).toExponential(1)).join(' ');
  console.log(`paused maps, error by start component: two checks ${errors(two.sigma)} (${two.steps} steps), four ${errors(four.sigma)} (${four.steps} steps)`);
  expect(Math.max(...Array.from(two.sigma, (x) => 1 - x))).toBeGreaterThan(1e-3);
  expect(Math.max(...Array.from(four.sigma, (x) => 1 - x))).toBeLessThan(1e-6);
  tf.dispose([maps, start]);
});
