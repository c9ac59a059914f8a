import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { spectralRadius } from './spectral-radius.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Rotation by θ in the plane (i, j) of an n×n identity, as a nested array. */
function rotation(n: number, i: number, j: number, theta: number): number[][] {
  const q: number[][] = Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => (r === c ? 1 : 0)));
  q[i]![i] = Math.cos(theta);
  q[j]![j] = Math.cos(theta);
  q[i]![j] = -Math.sin(theta);
  q[j]![i] = Math.sin(theta);
  return q;
}

const radius = (rows: number[][], squarings?: number) => {
  const a = tf.tensor2d(rows);
  const r = spectralRadius(a, squarings === undefined ? {} : { squarings });
  a.dispose();
  return r;
};

describe('spectralRadius', () => {
  it('c·Q with Q a rotation (complex eigenvalues c·e^{±iθ}) has ρ = c', () => {
    // (cQ)^k = c^k Q^k with Q^k orthogonal, so ‖(cQ)^k‖₂ = c^k exactly.
    for (const c of [0.5, 1, 1.5]) {
      const q = rotation(4, 0, 2, 1.1).map((row) => row.map((v) => c * v));
      expect(Math.abs(radius(q) - c) / c).toBeLessThan(1e-5);
    }
  });

  it('a non-normal matrix with known eigenvalues: triangular with diagonal 0.9, −0.5, 0.3', () => {
    // Eigenvalues of a triangular matrix are its diagonal: ρ = 0.9. The
    // off-diagonal 2s make it strongly non-normal (‖A‖₂ ≈ 3.1 > ρ).
    const a = [
      [0.9, 2, 2],
      [0, -0.5, 2],
      [0, 0, 0.3],
    ];
    expect(Math.abs(radius(a) - 0.9) / 0.9).toBeLessThan(5e-3);
  });

  it('a 2×2 Jordan block [[0.5, 1], [0, 0.5]] has ρ = 0.5 (slowest case, error ≈ ln(1024)/1024)', () => {
    const r = radius([
      [0.5, 1],
      [0, 0.5],
    ]);
    expect(r).toBeGreaterThan(0.5);
    expect((r - 0.5) / 0.5).toBeLessThan(0.008);
  });

  it('nilpotent → 0; NaN entry → NaN; no overflow for ρ = 3 over 2^20 steps', () => {
    expect(
      radius([
        [0, 1],
        [0, 0],
      ]),
    ).toBe(0);
    expect(Number.isNaN(radius([[NaN, 0], [0, 1]]))).toBe(true);
    expect(Math.abs(radius([[3, 0], [0, 1]], 20) - 3)).toBeLessThan(1e-3);
  });

  it('rejects non-square input and bad options, and leaks no tensors', () => {
    const before = tf.memory().numTensors;
    const a = tf.ones([2, 3]) as tf.Tensor2D;
    expect(() => spectralRadius(a)).toThrow(/square/);
    const b = tf.eye(2) as tf.Tensor2D;
    expect(() => spectralRadius(b, { squarings: 0 })).toThrow(/squarings/);
    spectralRadius(b);
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
