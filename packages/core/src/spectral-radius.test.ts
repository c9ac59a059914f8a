import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { spectralRadius } from './spectral-radius.js';
import { gaussianMatrix, matmul64, normalSource, randomOrthogonal, topSingularValue } from './test-helpers/linalg64.js';

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

  it('a 128×128 normal matrix (rotation blocks c_k·Q_k in a random orthonormal basis) has ρ = max c_k, with a clear or a narrow gap to the next', () => {
    // A = U B Uᵀ with B block-diagonal: 2×2 rotations scaled by c_k, so A is
    // normal with eigenvalues c_k e^{±iθ_k} and ρ = max c_k, formed in float64
    // here and rounded to float32 (which moves ρ by ~1e-7). With a clear gap
    // A^1024 is a scaled rank-two isometry and the last power's norm settles
    // within a few power steps; with c₂ = 0.9999·c₁ it does not settle early.
    const n = 128;
    const u = randomOrthogonal(n, normalSource(7));
    for (const second of [0.6, 0.9699]) {
      const b = new Float64Array(n * n);
      for (let k = 0; k < n / 2; k++) {
        const c = k === 0 ? 0.97 : k === 1 ? second : 0.3 + (0.25 * k) / n;
        const theta = 0.3 + k / n;
        const [i, j] = [2 * k, 2 * k + 1];
        b[i * n + i] = c * Math.cos(theta);
        b[j * n + j] = c * Math.cos(theta);
        b[i * n + j] = -c * Math.sin(theta);
        b[j * n + i] = c * Math.sin(theta);
      }
      const ut = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) ut[j * n + i] = u[i * n + j] as number;
      const a = tf.tensor2d(Float32Array.from(matmul64(matmul64(u, b, n, n, n), ut, n, n, n)), [n, n]);
      expect(Math.abs(spectralRadius(a) - 0.97) / 0.97).toBeLessThan(2e-6);
      a.dispose();
    }
  });

  it('Gaussian 128×128 matrices (dominant complex pairs, non-normal): ‖A^1024‖₂^(1/1024) as float64 squarings and an SVD give it', () => {
    // What the method computes (Gelfand's ‖A^(2^m)‖^(1/2^m), m = 10), formed
    // here in float64 with the same rescaling and measured by Jacobi. The
    // last power is nearly of rank two with two unequal singular values:
    // the 30-step power iteration this replaced left 1.9e-7 (seed 1) and
    // 9.2e-8 (seed 6); float32 squaring on the (cpu) device leaves ≤ 1.6e-8.
    const n = 128;
    for (let seed = 1; seed <= 6; seed++) {
      const a = Float32Array.from(gaussianMatrix(n, n, normalSource(seed), 1 / Math.sqrt(n)));
      let power: Float64Array = Float64Array.from(a);
      let logScale = 0;
      for (let i = 0; i <= 10; i++) {
        const big = power.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        logScale += Math.log(big) / 2 ** i;
        power = power.map((x) => x / big);
        if (i < 10) power = matmul64(power, power, n, n, n);
      }
      const reference = Math.exp(logScale + Math.log(topSingularValue(power, n, n)) / 1024);
      const t = tf.tensor2d(a, [n, n]);
      expect(Math.abs(spectralRadius(t) - reference) / reference).toBeLessThan(5e-8);
      t.dispose();
    }
  });

  it('a rank-one idempotent A = e₀rᵀ (r₀ = 1, ρ = 1) whose row is orthogonal to a fixed start: ‖r‖^(1/1024), never 0 or NaN', () => {
    // A² = A, so A^1024 = A and the method's value is ‖A‖₂^(1/1024) = ‖r‖^(1/1024).
    // These rows are orthogonal to (1 + i/n), the old power iteration's start
    // (it gave 0 for the third) and the first Lanczos's (it gave NaN for the first two: found by review).
    for (const r of [[1, -3, 4, -4, 3, -1, 0], [1, -1, -2, 4, -3, 1, 0], [1, -2, 1], [1, -2, 1, 0, 0, 0, 0, 0, 0, 0]]) {
      const n = r.length;
      const a = Array.from({ length: n }, (_, i) => (i === 0 ? r : new Array<number>(n).fill(0)));
      const length = Math.hypot(...r);
      expect(Math.abs(radius(a) - length ** (1 / 1024)) / length ** (1 / 1024), JSON.stringify(r)).toBeLessThan(1e-12);
    }
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
