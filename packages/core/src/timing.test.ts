import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { lyapunovSpectrum } from './lyapunov.js';
import { denseSequence } from './operator.js';
import { analyzeSequence, productNorms } from './analyze-sequence.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * The size the brief quotes (S = 8, T = 100, n = 64, dense, cpu backend),
 * timed and printed. The time bound is only a guard against pathological
 * regressions (it depends on the machine: ~1 s on 2 shared cores when this
 * was written); the numerical checks are the invariants.
 */
it('S = 8, T = 100, n = 64 on the cpu backend: timing of productNorms + lyapunovSpectrum and of analyzeSequence', async () => {
  const jacobians = tf.tidy(() => tf.mul(tf.randomNormal([8, 100, 64, 64], 0, 1, 'float32', 42), 1 / 8));
  const seq = denseSequence(jacobians);
  jacobians.dispose();
  await lyapunovSpectrum(seq, { k: 1 }); // warm the sequence's per-step cache and the JIT
  let t0 = performance.now();
  const norms = await productNorms(seq);
  const ftle = await lyapunovSpectrum(seq);
  const separate = performance.now() - t0;
  t0 = performance.now();
  const all = await analyzeSequence(seq);
  const combined = performance.now() - t0;
  seq.dispose();
  console.log(`S=8 T=100 n=64 cpu: productNorms + lyapunovSpectrum ${separate.toFixed(0)} ms, analyzeSequence ${combined.toFixed(0)} ms`);
  // analyzeSequence opens its propagation with the per-step Lanczos's
  // vector of J_1, lyapunovSpectrum with a Lanczos run of its own: the same
  // direction to the Lanczos tolerance (‖J_1 v‖ within 3.3e-7 of σ₁ for
  // both), which leaves the exponents a few 1e-6 apart (measured 4.8e-6
  // since cold runs need four quiet checks: the per-step run's approximate
  // vector comes from a longer plain recurrence; 2.8e-7 with two).
  const worst = Math.max(...all.ftle.flatMap((row, s) => row.map((x, i) => Math.abs(x - ftle[s]![i]!))));
  console.log(`max |ftle(analyzeSequence) − ftle(lyapunovSpectrum)| = ${worst.toExponential(1)}`);
  expect(worst).toBeLessThan(2e-5);
  for (let s = 0; s < 8; s++) {
    for (let t = 0; t < 100; t++) expect(norms.logBound[s]![t]!).toBeGreaterThanOrEqual(norms.logProduct[s]![t]! - 1e-4);
  }
  expect(separate).toBeLessThan(30_000);
});
