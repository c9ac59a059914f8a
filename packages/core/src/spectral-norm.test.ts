import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { denseOperator } from './operator.js';
import { runLanczos } from './gram-lanczos.js';
import { batchedLanczos } from './lanczos.js';
import { spectralNorm, spectralNormSettings, spectralNormWithVector, spectralNormWithWarmVector } from './spectral-norm.js';
import { gaussianMatrix, maxRelativeError, normalSource, toFloat32, topSingularValue } from './test-helpers/linalg64.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** B random Gaussian n×n matrices (float32-rounded) and their exact σ_max from the float64 Jacobi SVD. */
function gaussianBatch(batch: number, n: number, seed: number) {
  const next = normalSource(seed);
  const mats: Float64Array[] = [];
  for (let b = 0; b < batch; b++) mats.push(toFloat32(gaussianMatrix(n, n, next)));
  const flat = new Float32Array(batch * n * n);
  mats.forEach((m, b) => flat.set(m, b * n * n));
  return { tensor: tf.tensor3d(flat, [batch, n, n]), exact: mats.map((m) => topSingularValue(m, n, n)) };
}

/**
 * Measured worst relative error over all the random cases below: printed by
 * the test. The bound asserted is 2e-6: float32 arithmetic on the device
 * limits the Ritz values to ~1e-7·√n relative, and the default tolerance
 * (1e-6 change between checks 4 steps apart) stops Lanczos when its own
 * error is below that. An error in the algorithm (a wrong recurrence, a lost
 * coefficient, a missed restart) shows up as 1e-2 or worse on these matrices.
 */
const GAUSSIAN_BOUND = 2e-6;

describe('spectralNorm vs float64 Jacobi SVD', () => {
  for (const n of [2, 5, 16, 64]) {
    it(`random Gaussian matrices n = ${n}, batch of 6, three seeds`, async () => {
      let worst = 0;
      for (const seed of [1, 2, 3]) {
        const { tensor, exact } = gaussianBatch(6, n, seed * 100 + n);
        const norms = await spectralNorm(tensor);
        const withVector = await spectralNormWithVector(tensor);
        // The vector is a top right-singular vector: ‖J v‖ reproduces σ_max.
        const jv = tf.tidy(() => tf.norm(tf.matMul(withVector.vectors, tensor, false, true), 'euclidean', -1).dataSync());
        tensor.dispose();
        withVector.vectors.dispose();
        worst = Math.max(worst, maxRelativeError(norms, exact), maxRelativeError(withVector.norms, exact), maxRelativeError(Array.from(jv), exact));
      }
      console.log(`spectralNorm n=${n}: max relative error ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(GAUSSIAN_BOUND);
    });
  }

  it('a single matrix [n, n] gives a number', async () => {
    const next = normalSource(7);
    const m = toFloat32(gaussianMatrix(10, 10, next));
    const t = tf.tensor2d(Float32Array.from(m), [10, 10]);
    const norm = await spectralNorm(t);
    t.dispose();
    expect(typeof norm).toBe('number');
    expect(Math.abs(norm - topSingularValue(m, 10, 10)) / topSingularValue(m, 10, 10)).toBeLessThan(GAUSSIAN_BOUND);
  });
});

describe('spectralNorm special matrices', () => {
  it('zero matrix → 0, identity → 1, rank one a bᵀ → ‖a‖‖b‖, scaled orthogonal → c', async () => {
    const n = 8;
    const a = Array.from({ length: n }, (_, i) => i + 1);
    const b = Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 0.5));
    const rank1 = a.flatMap((ai) => b.map((bj) => ai * bj));
    // 3·(a permutation) is 3 times an orthogonal matrix: every singular value is 3.
    const perm = Array.from({ length: n * n }, (_, k) => (Math.floor(k / n) === (k % n + 3) % n ? 3 : 0));
    const t = tf.tensor3d([...new Array(n * n).fill(0), ...tf.eye(n).dataSync(), ...rank1, ...perm], [4, n, n]);
    const normA = Math.hypot(...a);
    const normB = Math.hypot(...b);
    for (const withVector of [false, true]) {
      const norms = withVector ? (await spectralNormWithVector(t)).norms : await spectralNorm(t);
      expect(norms[0]).toBe(0);
      // Identity and c·permutation: every Krylov step breaks down (β = 0); the
      // restarts keep the result exact up to float32 rounding of the norms.
      expect(Math.abs((norms[1] as number) - 1)).toBeLessThan(1e-6);
      expect(Math.abs((norms[2] as number) - normA * normB) / (normA * normB)).toBeLessThan(1e-6);
      expect(Math.abs((norms[3] as number) - 3) / 3).toBeLessThan(1e-6);
    }
    t.dispose();
  });

  it('a NaN or ±Infinity entry gives NaN for that matrix only, never 0', async () => {
    const n = 4;
    const data = new Float32Array(3 * n * n);
    data.set(tf.eye(n).dataSync(), 0);
    data.set(tf.eye(n).dataSync(), n * n);
    data.set(tf.eye(n).dataSync(), 2 * n * n);
    data[n * n + 5] = NaN;
    data[2 * n * n + 1] = Infinity;
    const t = tf.tensor3d(data, [3, n, n]);
    const norms = await spectralNorm(t);
    const withVector = await spectralNormWithVector(t);
    t.dispose();
    expect(Math.abs((norms[0] as number) - 1)).toBeLessThan(1e-6);
    expect(norms[1]).toBeNaN();
    expect(norms[2]).toBeNaN();
    expect(withVector.norms[1]).toBeNaN();
    expect(withVector.norms[2]).toBeNaN();
    withVector.vectors.dispose();
  });

  it('tiny and huge scales: 1e-25·G and 1e25·G (σ² would under/overflow float32)', async () => {
    const next = normalSource(11);
    const g = toFloat32(gaussianMatrix(6, 6, next));
    const exact = topSingularValue(g, 6, 6);
    for (const scale of [1e-25, 1e25]) {
      const t = tf.tensor2d(Float32Array.from(g, (x) => x * scale), [6, 6]);
      const norm = await spectralNorm(t);
      t.dispose();
      expect(Math.abs(norm / scale - exact) / exact).toBeLessThan(1e-5);
    }
  });

  it('warm start from the exact top vector and from a vector in a smaller invariant subspace', async () => {
    // diag(1, 2, 3): starting at e_1 (an eigenvector of the smallest value)
    // breaks down at once; the restart must still find 3.
    const d = tf.tensor3d([1, 0, 0, 0, 2, 0, 0, 0, 3], [1, 3, 3]);
    for (const startRow of [[1, 0, 0], [0, 0, 1], [0, 0, 0]]) {
      const start = tf.tensor3d(startRow, [1, 1, 3]);
      const norms = await spectralNorm(d, { start });
      start.dispose();
      expect(Math.abs((norms[0] as number) - 3)).toBeLessThan(1e-6);
    }
    d.dispose();
  });

  it('n = 40 > iterations (plain three-term recurrence): breakdowns restart and still converge', async () => {
    // diag(1..40), identity and rank one, with n larger than the default 32
    // steps, so no basis is kept: every restart is an independent block.
    // Starting diag(1..40) at e_1 breaks down at once; the restarted block
    // has 31 steps on a top gap of 5% of the spread, converging far below 1e-6.
    const n = 40;
    const diag = Array.from({ length: n * n }, (_, k) => (Math.floor(k / n) === k % n ? (k % n) + 1 : 0));
    const eye = Array.from({ length: n * n }, (_, k) => (Math.floor(k / n) === k % n ? 1 : 0));
    const a = Array.from({ length: n }, (_, i) => Math.cos(i));
    const rank1 = a.flatMap((x) => a.map((y) => x * y));
    const t = tf.tensor3d([...diag, ...eye, ...rank1], [3, n, n]);
    const e1 = Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 0));
    const start = tf.tensor3d([...e1, ...e1, ...e1], [3, 1, n]);
    const norms = await spectralNorm(t, { start });
    tf.dispose([t, start]);
    const normA2 = a.reduce((s, x) => s + x * x, 0);
    expect(Math.abs(norms[0]! - 40) / 40).toBeLessThan(1e-6);
    expect(Math.abs(norms[1]! - 1)).toBeLessThan(1e-6);
    expect(Math.abs(norms[2]! - normA2) / normA2).toBeLessThan(1e-6);
  });

  it('a cold guess (warm: false) is checked by a run from the seeded start: per map the larger estimate and its vector', async () => {
    // Few steps, so that the guess and the random start end apart; the guess is the same
    // vector for every map, good for some and poor for others.
    const { tensor } = gaussianBatch(12, 24, 91);
    const op = denseOperator(tensor);
    const guess = tf.tensor3d(Array.from({ length: 12 * 24 }, (_, k) => (k % 24 === 0 ? 1 : 0)), [12, 1, 24]);
    const before = tf.memory().numTensors;
    const options = { start: guess, warm: false, iterations: 3 };
    const alone = await runLanczos(op, spectralNormSettings('test', op, options, 'approximate'));
    const seeded = await runLanczos(op, spectralNormSettings('test', op, { iterations: 3 }, 'approximate'));
    const checked = await spectralNormWithWarmVector(op, options);
    const winner = Array.from(alone.sigma, (x, b) => (seeded.sigma[b]! > x ? 'seeded' : 'guess'));
    expect(new Set(winner).size).toBe(2); // each run wins somewhere: the merge is exercised both ways
    expect(checked.norms).toEqual(Array.from(alone.sigma, (x, b) => Math.max(x, seeded.sigma[b]!)));
    const [a, s, c] = [alone.vectors!.arraySync(), seeded.vectors!.arraySync(), checked.vectors.arraySync()];
    winner.forEach((w, b) => expect(c[b]).toEqual(w === 'seeded' ? s[b] : a[b]));
    // spectralNorm and spectralNormWithVector check the guess too.
    const plain = await spectralNorm(op, options);
    expect(plain).toEqual(checked.norms);
    const exactAlone = await batchedLanczos(op, spectralNormSettings('test', op, options, 'exact'));
    const exactSeeded = await batchedLanczos(op, spectralNormSettings('test', op, { iterations: 3 }, 'exact'));
    const exactVectors = await spectralNormWithVector(op, options);
    expect(exactVectors.norms).toEqual(Array.from(exactAlone.sigma, (x, b) => Math.max(x, exactSeeded.sigma[b]!)));
    tf.dispose([alone.vectors!, seeded.vectors!, checked.vectors, exactAlone.vectors!, exactSeeded.vectors!, exactVectors.vectors]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([tensor, guess]);
  });

  it('few iterations give a lower estimate (Ritz values never exceed σ_max)', async () => {
    const { tensor, exact } = gaussianBatch(5, 64, 77);
    const norms = await spectralNorm(tensor, { iterations: 3 });
    tensor.dispose();
    norms.forEach((x, b) => {
      expect(x).toBeLessThanOrEqual(exact[b]! * (1 + 1e-6));
      expect(x).toBeGreaterThan(0.5 * exact[b]!);
    });
  });

  it('works matrix-free through a BatchedOperator', async () => {
    const { tensor, exact } = gaussianBatch(3, 12, 5);
    const op = denseOperator(tensor);
    const norms = await spectralNorm({ batch: op.batch, size: op.size, apply: op.apply, applyTranspose: op.applyTranspose });
    tensor.dispose();
    expect(maxRelativeError(norms, exact)).toBeLessThan(GAUSSIAN_BOUND);
  });

  it('rejects bad shapes and options with a message naming them, leaking nothing', async () => {
    const before = tf.memory().numTensors;
    const t = tf.zeros([2, 3]);
    await expect(spectralNorm(t)).rejects.toThrow(/spectralNorm: .*\[2, 3\]/);
    const e = tf.eye(3);
    await expect(spectralNorm(e, { iterations: 0 })).rejects.toThrow(/iterations.*0/);
    await expect(spectralNorm(e, { tolerance: -1 })).rejects.toThrow(/tolerance.*-1/);
    await expect(spectralNorm(e, { iteration: 3 } as never)).rejects.toThrow(/unknown option 'iteration'/);
    const start = tf.zeros([1, 1, 4]) as tf.Tensor3D;
    await expect(spectralNorm(e, { start })).rejects.toThrow(/start.*\[1, 1, 3\].*\[1, 1, 4\]/);
    tf.dispose([t, e, start]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves tf.memory().numTensors unchanged', async () => {
    const { tensor } = gaussianBatch(4, 9, 9);
    const before = tf.memory().numTensors;
    for (let r = 0; r < 3; r++) {
      await spectralNorm(tensor);
      (await spectralNormWithVector(tensor)).vectors.dispose();
      const single = tf.tidy(() => tf.reshape(tf.slice(tensor, [0, 0, 0], [1, 9, 9]), [9, 9])) as tf.Tensor2D;
      await spectralNorm(single);
      single.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tensor.dispose();
  });
});
