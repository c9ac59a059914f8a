import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gramLanczos, runLanczos } from './gram-lanczos.js';
import { lobpcg, lobpcgServes } from './lobpcg.js';
import type { LanczosSettings } from './lanczos.js';
import type { BatchedOperator, OuterFactors } from './operator.js';
import { spectralNormSettings } from './spectral-norm.js';
import { breakdownMaps, breakdownStarts, expectBreakdownSigma } from './test-helpers/breakdown-maps.js';
import { clusteredMaps, gramOperator } from './test-helpers/gram-operator.js';
import { matmul64, maxRelativeError, normalSource, randomOrthogonal, toFloat32 } from './test-helpers/linalg64.js';
import { secondVectorMaps } from './test-helpers/second-vector-maps.js';
import { throwingOperator } from './test-helpers/throwing-operator.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * gramOperator's maps with outerFactors: scale 1, each map's own G = J Jᵀ
 * (formed in float64, rounded once), no identity.
 */
function withFactors(maps: Float64Array[], n: number) {
  const made = gramOperator(maps, n);
  const grams = new Float32Array(maps.length * n * n);
  maps.forEach((m, b) => {
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < n; k++) {
        let sum = 0;
        for (let j = 0; j < n; j++) sum += (m[i * n + j] as number) * (m[k * n + j] as number);
        grams[b * n * n + i * n + k] = sum;
      }
    }
  });
  const op: BatchedOperator = {
    ...made.op,
    outerFactors: () => ({ scale: tf.ones([maps.length, 1, n]) as tf.Tensor3D, gram: tf.tensor3d(grams, [maps.length, n, n]), identity: null }),
  };
  return { ...made, op };
}

/** The block run warm from `starts` on factored `maps`: every σ within the warm bar (1e-5) of the float64 σ_max. */
async function expectWarmBar(maps: Float64Array[], starts: Float32Array, n: number): Promise<void> {
  const { op, exact, dispose } = withFactors(maps, n);
  const start = tf.tensor3d(starts, [maps.length, 1, n]);
  try {
    const result = await lobpcg(op, warmSettings(op, start));
    result!.vectors?.dispose();
    expect(maxRelativeError(Array.from(result!.sigma), exact)).toBeLessThan(1e-5);
  } finally {
    start.dispose();
    dispose();
  }
}

/** A warm run's settings from `start`, as spectralNormWithWarmVector makes them. */
const warmSettings = (op: BatchedOperator, start: tf.Tensor3D): LanczosSettings => spectralNormSettings('test', op, { start }, 'approximate');

/** Cold vectors of `op` (the Lanczos's, from its seeded start), to warm-start from. */
async function coldVectors(op: BatchedOperator): Promise<tf.Tensor3D> {
  const cold = await gramLanczos(op, spectralNormSettings('test', op, {}, 'approximate'));
  return cold.vectors!;
}

describe('the preconditioned warm run on J Jᵀ (lobpcg.ts)', () => {
  it('serves warm runs on operators with outerFactors, n a multiple of 4, on a backend whose reads block nothing', () => {
    const n = 8;
    const { op, dispose } = withFactors(clusteredMaps(2, n, 1), n);
    const start = tf.ones([2, 1, n]) as tf.Tensor3D;
    try {
      expect(lobpcgServes(op, warmSettings(op, start))).toBe(true);
      expect(lobpcgServes(op, spectralNormSettings('test', op, {}, 'approximate'))).toBe(false); // cold
      expect(lobpcgServes(op, spectralNormSettings('test', op, { start, warm: false }, 'approximate'))).toBe(false);
      const { outerFactors: _f, ...plain } = op;
      expect(lobpcgServes(plain, warmSettings(plain, start))).toBe(false);
    } finally {
      start.dispose();
      dispose();
    }
    const odd = withFactors(clusteredMaps(2, 6, 1), 6);
    const start6 = tf.ones([2, 1, 6]) as tf.Tensor3D;
    expect(lobpcgServes(odd.op, warmSettings(odd.op, start6))).toBe(false);
    start6.dispose();
    odd.dispose();
  });

  it('finds σ_max of clustered SimpleRNN-like maps (top values within 5%) to 1e-6, warm from a cold run on maps one step away, through compactions', async () => {
    const n = 48;
    const before = clusteredMaps(40, n, 4);
    // One "training step": every entry moved by about 1% of its size, the cluster reordered.
    const next = normalSource(9);
    const after = before.map((m) => toFloat32(m.map((x) => x * (1 + 0.01 * next()))));
    const old = withFactors(before, n);
    const current = withFactors(after, n);
    const start = await coldVectors(old.op);
    const tensors = tf.memory().numTensors;
    try {
      const result = await lobpcg(current.op, warmSettings(current.op, start));
      expect(result).not.toBeNull();
      expect(maxRelativeError(Array.from(result!.sigma), current.exact)).toBeLessThan(1e-6);
      // Unit right vectors, one per map, and J v ≈ σ: the next warm start.
      const v = result!.vectors!;
      const jv = tf.tidy(() => tf.sqrt(tf.sum(tf.square(current.op.apply(v)), -1)));
      const lengths = Array.from(jv.dataSync());
      lengths.forEach((l, b) => expect(Math.abs(l - (result!.sigma[b] as number)) / l).toBeLessThan(1e-3));
      tf.dispose([v, jv]);
      expect(result!.work).toBeLessThan(40 * 32);
      expect(tf.memory().numTensors).toBe(tensors);
    } finally {
      start.dispose();
      old.dispose();
      current.dispose();
    }
  });

  it('runLanczos takes it for such a warm run, and agrees with the Lanczos on J Jᵀ to the warm bar', async () => {
    const n = 48;
    const { op, exact, dispose } = withFactors(clusteredMaps(16, n, 5), n);
    const start = await coldVectors(op);
    try {
      const settings = warmSettings(op, start);
      const block = await runLanczos(op, settings);
      const lanczos = await gramLanczos(op, settings);
      block.vectors?.dispose();
      lanczos.vectors?.dispose();
      expect(maxRelativeError(Array.from(block.sigma), Array.from(lanczos.sigma))).toBeLessThan(1e-5);
      expect(maxRelativeError(Array.from(block.sigma), exact)).toBeLessThan(1e-6);
    } finally {
      start.dispose();
      dispose();
    }
  });

  /**
   * lanczos-warm-stall.test.ts's trap: the start is σ₂'s right vector (plus
   * 1e-2 of v₁₁ and the warm start's 1% seeded share), σ₂ 0.5–3% below
   * σ₁ = 1. A residual rule alone stops there; the floor and the quiet span
   * must carry the block to σ₁ as they carry the Lanczos.
   */
  for (const sigma2 of [0.97, 0.98, 0.99, 0.995]) {
    it(`a start that is σ₂'s vector, σ₂ = ${sigma2}, 8 maps: σ₁ found to the warm bar`, async () => {
      const n = 64;
      const { maps, starts } = secondVectorMaps(8, n, sigma2, 31, (i) => 0.85 - (0.75 * (i - 2)) / (n - 3), (v, c) => v(1, c) + 1e-2 * v(10, c));
      await expectWarmBar(maps, starts, n);
    });
  }

  /**
   * Closer still, at n = 128 on 16 maps: the start σ₂'s right vector exactly, σ₂ 0.2% below σ₁, the warm
   * start's 1% seeded share the only σ₁ in it. (At 0.03–0.1% below, 1 map of 16 stays on σ₂ here where the
   * Lanczos finds σ₁: see the module's note.)
   */
  it("a start that is σ₂'s vector exactly, σ₂ = 0.998, n = 128, 16 maps: σ₁ found to the warm bar", async () => {
    const n = 128;
    const { maps, starts } = secondVectorMaps(16, n, 0.998, 77, (i) => 0.8 - (0.5 * i) / n, (v, c) => v(1, c));
    await expectWarmBar(maps, starts, n);
  });

  /** A review found the block's w left where it was when maps left: a NaN map's w passed to its neighbours, one compaction after another. */
  it('a NaN map among finite ones: only it is NaN, the others within 1e-6 (w moves with its row when maps leave)', async () => {
    const n = 40;
    const maps = clusteredMaps(8, n, 3);
    maps[0] = maps[0]!.map((x, k) => (k === 5 ? NaN : x));
    const { op, exact, dispose } = withFactors(maps, n);
    const start = tf.ones([8, 1, n]) as tf.Tensor3D;
    try {
      const result = await lobpcg(op, warmSettings(op, start));
      result!.vectors?.dispose();
      expect(result!.sigma[0]).toBeNaN();
      expect(maxRelativeError(Array.from(result!.sigma).slice(1), exact.slice(1))).toBeLessThan(1e-6);
    } finally {
      start.dispose();
      dispose();
    }
  });

  it('through breakdowns: J Jᵀ = I, an orthogonal map, a zero map, a NaN map, and diag(1, 3, 3, …) from e₁ with no seeded share', async () => {
    const n = 36;
    const { op, dispose } = withFactors(breakdownMaps(n, 2), n);
    const start = breakdownStarts(n);
    const before = tf.memory().numTensors;
    try {
      const result = await lobpcg(op, { ...warmSettings(op, start), startMix: 0 });
      result!.vectors?.dispose();
      expectBreakdownSigma(result!.sigma);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      start.dispose();
      dispose();
    }
  });

  it('maps whose σ leaves the squares’ range (1e9, 1e-9) are measured again by Golub–Kahan', async () => {
    const n = 32;
    const maps = clusteredMaps(4, n, 6);
    const scaled = [...maps.slice(0, 2).map((m) => m.map((x) => x * 1e9)), ...maps.slice(2).map((m) => m.map((x) => x * 1e-9))];
    await expectWarmBar(scaled.map(toFloat32), new Float32Array(4 * n).fill(1), n);
  });

  it('leaves no tensor behind when the operator throws (at the start, the end) or gives factors of the wrong shape, and the next run measures', async () => {
    const n = 40;
    const factors = () => ({ scale: tf.ones([3, 1, n]) as tf.Tensor3D, gram: tf.eye(n), identity: null });
    for (const [which, failAt] of [['apply', 1], ['applyTranspose', 1]] as const) {
      const { op: failing, dispose } = throwingOperator(n, 3, failAt, which);
      const op: BatchedOperator = { ...failing, outerFactors: factors };
      const start = tf.ones([3, 1, n]) as tf.Tensor3D;
      const before = tf.memory().numTensors;
      await expect(lobpcg(op, warmSettings(op, start))).rejects.toThrow(`${which} failed`);
      expect(tf.memory().numTensors, `left when ${which} throws at call ${failAt}`).toBe(before);
      start.dispose();
      dispose();
    }
    const wrong: [string, () => OuterFactors][] = [
      ['scale must be [3, 1, 40], got [3, 1, 39]', () => ({ scale: tf.ones([3, 1, n - 1]) as tf.Tensor3D, gram: tf.eye(n), identity: null })],
      ['gram must be [40, 40], got [40, 39]', () => ({ scale: tf.ones([3, 1, n]) as tf.Tensor3D, gram: tf.ones([n, n - 1]) as tf.Tensor2D, identity: null })],
      ['identity must be [3, 1, 1], got [3, 1, 2]', () => ({ ...factors(), identity: tf.ones([3, 1, 2]) as tf.Tensor3D })],
    ];
    wrong.push(['made a tensor and threw', () => {
      tf.ones([3, 1, n]);
      throw new Error('outerFactors: made a tensor and threw');
    }]);
    for (const [message, outerFactors] of wrong) {
      const { op: plain, dispose } = throwingOperator(n, 3, 0, 'apply');
      const op: BatchedOperator = { ...plain, outerFactors };
      const start = tf.ones([3, 1, n]) as tf.Tensor3D;
      const before = tf.memory().numTensors;
      await expect(lobpcg(op, warmSettings(op, start))).rejects.toThrow(`outerFactors: ${message}`);
      expect(tf.memory().numTensors, `left when ${message}`).toBe(before);
      start.dispose();
      dispose();
    }
    const { op, exact, dispose } = withFactors(clusteredMaps(4, n, 7), n);
    const start = await coldVectors(op);
    const result = await lobpcg(op, warmSettings(op, start));
    result!.vectors?.dispose();
    expect(maxRelativeError(Array.from(result!.sigma), exact)).toBeLessThan(1e-6);
    start.dispose();
    dispose();
  });

  /**
   * A fresh SimpleRNN's maps: R orthogonal (Rᵀ R = I to float32 rounding), J = D Rᵀ with D's top entries
   * within 1e-4 of each other, the start each map's top unit (an eigenvector to rounding). There the
   * preconditioned residual points where p does, iteration after iteration (|w·p| up to 0.99995); p made
   * orthonormal to w carried its image by combination into a Ritz value 1% above σ_max² (tfjs's
   * simple-rnn.test.ts found it). σ must stay within the warm bar, and never above σ_max.
   */
  it('factored maps D (Rᵀ R) D with R orthogonal, from each top unit: σ within 1e-5, never above σ_max', async () => {
    const n = 64;
    const batch = 24;
    const next = normalSource(21);
    const r = toFloat32(randomOrthogonal(n, next));
    const scales = Array.from({ length: batch }, () => Float64Array.from({ length: n }, () => Math.fround(1 - 0.2 * Math.abs(next()))));
    // The top three units of every map within 1e-4 of each other.
    scales.forEach((d) => [0, 1, 2].forEach((i) => (d[i * 7] = Math.fround(0.9999 + 3e-5 * i))));
    const maps = scales.map((d) => Float64Array.from({ length: n * n }, (_, k) => (d[Math.floor(k / n)] as number) * (r[(k % n) * n + Math.floor(k / n)] as number)));
    const made = gramOperator(maps, n);
    const gram = new Float32Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let m = 0; m < n; m++) gram[i * n + j] = (gram[i * n + j] as number) + (r[m * n + i] as number) * (r[m * n + j] as number);
    const op: BatchedOperator = {
      ...made.op,
      outerFactors: () => ({ scale: tf.tensor3d(scales.flatMap((d) => Array.from(d)), [batch, 1, n]), gram: tf.tensor2d(gram, [n, n]), identity: null }),
    };
    // The start v with J v along the top unit: v = R e_top (J R e = D e).
    const starts = new Float32Array(batch * n);
    scales.forEach((d, b) => {
      const top = d.indexOf(Math.max(...d));
      for (let c = 0; c < n; c++) starts[b * n + c] = r[c * n + top] as number;
    });
    const start = tf.tensor3d(starts, [batch, 1, n]);
    try {
      const result = await lobpcg(op, warmSettings(op, start));
      result!.vectors?.dispose();
      const sigma = Array.from(result!.sigma);
      expect(maxRelativeError(sigma, made.exact)).toBeLessThan(1e-5);
      sigma.forEach((x, b) => expect(x, `map ${b}`).toBeLessThanOrEqual((made.exact[b] as number) * (1 + 1e-6)));
    } finally {
      start.dispose();
      made.dispose();
    }
  });

  it('two runs at once each keep their own block (the kernel is lent per run)', async () => {
    const n = 48;
    const a = withFactors(clusteredMaps(12, n, 11), n);
    const b = withFactors(clusteredMaps(20, n, 12), n);
    const [startA, startB] = [await coldVectors(a.op), await coldVectors(b.op)];
    try {
      const [ra, rb] = await Promise.all([lobpcg(a.op, warmSettings(a.op, startA)), lobpcg(b.op, warmSettings(b.op, startB))]);
      tf.dispose([ra!.vectors!, rb!.vectors!]);
      expect(maxRelativeError(Array.from(ra!.sigma), a.exact)).toBeLessThan(1e-6);
      expect(maxRelativeError(Array.from(rb!.sigma), b.exact)).toBeLessThan(1e-6);
    } finally {
      tf.dispose([startA, startB]);
      a.dispose();
      b.dispose();
    }
  });
});
