import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { normalSource, randomOrthogonal, toFloat32 } from './linalg64.js';

/**
 * Maps [n, n] in float64 on which a Lanczos run breaks down, with what σ_max
 * must come out (expectBreakdownSigma): the identity (J Jᵀ = I: every step),
 * an orthogonal map, the zero map, a map with a NaN entry, and
 * diag(1, 3, 3, …), which breaks down exactly at the first step when started
 * from e₁ (breakdownStarts) and must still find 3.
 */
export function breakdownMaps(n: number, seed: number): Float64Array[] {
  const eye = new Float64Array(n * n);
  for (let i = 0; i < n; i++) eye[i * n + i] = 1;
  const orthogonal = toFloat32(randomOrthogonal(n, normalSource(seed)));
  const nan = new Float64Array(n * n).fill(0.5);
  nan[5] = NaN;
  return [eye, orthogonal, new Float64Array(n * n), nan, nearBreakdownMap(n)];
}

/** e₁ for each of breakdownMaps's five maps [5, 1, n]. */
export function breakdownStarts(n: number): tf.Tensor3D {
  return nearBreakdownStarts([0, 0, 0, 0, 0], n);
}

/** σ_max of breakdownMaps's maps, in order: 1, 1, 0, NaN, 3. */
export function expectBreakdownSigma(sigma: ArrayLike<number>): void {
  expect(Math.abs((sigma[0] as number) - 1)).toBeLessThan(1e-6);
  expect(Math.abs((sigma[1] as number) - 1)).toBeLessThan(1e-6);
  expect(sigma[2]).toBe(0);
  expect(sigma[3]).toBeNaN();
  expect(Math.abs((sigma[4] as number) - 3) / 3).toBeLessThan(1e-6);
}

/** diag(1, 3, 3, …) [n, n] in float64: from e₁ + ε e₂ the first step's residual is of the order of ε. */
export function nearBreakdownMap(n: number): Float64Array {
  const diagonal = new Float64Array(n * n);
  for (let i = 0; i < n; i++) diagonal[i * n + i] = i === 0 ? 1 : 3;
  return diagonal;
}

/** Start rows e₁ + ε e₂ [epsilons.length, 1, n]. */
export function nearBreakdownStarts(epsilons: number[], n: number): tf.Tensor3D {
  const rows = new Float32Array(epsilons.length * n);
  epsilons.forEach((e, b) => {
    rows[b * n] = 1;
    rows[b * n + 1] = e;
  });
  return tf.tensor3d(rows, [epsilons.length, 1, n]);
}
