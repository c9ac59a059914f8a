import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { lyapunovSpectrum } from './lyapunov.js';
import { denseSequence, type JacobianSequence } from './operator.js';
import { analyzeSequence, productNorms } from './analyze-sequence.js';
import { buildSequence, exactLogProduct, exactStepNorms, gaussianSequence, scaledOrthogonalSequence, type SequenceData } from './test-helpers/sequences.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function toSequence(seq: SequenceData): JacobianSequence {
  const t = tf.tensor4d(seq.data, [seq.samples, seq.steps, seq.n, seq.n]);
  const out = denseSequence(t);
  t.dispose();
  return out;
}

/** max |a − b| over a [S][T] pair, treating equal infinities as equal. */
function maxAbsDiff(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((row, s) =>
    row.forEach((x, t) => {
      const y = (b[s] as number[])[t] as number;
      worst = Math.max(worst, x === y ? 0 : Math.abs(x - y));
    }),
  );
  return worst;
}

/**
 * Float32 rounding budget per step. Every step's apply runs in float32
 * (relative error ~6e-8·√n per entry) and the propagated block is rounded to
 * float32 on upload; each perturbs ln‖·‖ by ~1e-7, and T steps add up to
 * ~T·1e-7 in the worst case. Tolerances below are stated as multiples of it,
 * far below any algorithmic error (a wrong triangular product, a lost log
 * scale or a missing R_ii is off by O(1)).
 */
const PER_STEP = 2e-7;

describe('c·Q with Q orthogonal: everything is t·ln c', () => {
  // J_t = c·Q_t with Q_t orthogonal: ‖J_t‖ = c, and J_t⋯J_1 = c^t·(orthogonal),
  // so ‖J_t⋯J_1‖ = c^t: logProduct[t] = logBound[t] = t·ln c. In the QR,
  // J_t Q_{t−1} = c·(orthonormal columns), hence R_t = c·I and every
  // ln R_ii = ln c: all finite-time Lyapunov exponents equal ln c, for any k.
  for (const k of [1, 3, 5]) {
    it(`n = 5, T = 30, S = 3, c = 0.8, k = ${k}`, async () => {
      const c = 0.8;
      const data = scaledOrthogonalSequence(3, 30, 5, c, 17);
      const seq = toSequence(data);
      const result = await analyzeSequence(seq, { k });
      seq.dispose();
      for (let s = 0; s < 3; s++) {
        result.stepNorm[s]!.forEach((x) => expect(Math.abs(x - c) / c).toBeLessThan(PER_STEP * 5));
        result.logBound[s]!.forEach((x, t) => expect(Math.abs(x - (t + 1) * Math.log(c))).toBeLessThan((t + 1) * PER_STEP));
        result.logProduct[s]!.forEach((x, t) => expect(Math.abs(x - (t + 1) * Math.log(c))).toBeLessThan((t + 1) * PER_STEP));
        expect(result.ftle[s]).toHaveLength(k);
        result.ftle[s]!.forEach((x) => expect(Math.abs(x - Math.log(c))).toBeLessThan(PER_STEP));
        expect(Math.abs(result.beta[s]! - c) / c).toBeLessThan(PER_STEP * 5);
      }
    });
  }

  it('2000 steps of ‖J‖ = 1.5 (n = 3): logProduct[2000] = 2000·ln 1.5 ≈ 810.93 although 1.5^2000 overflows float64', async () => {
    const data = scaledOrthogonalSequence(2, 2000, 3, 1.5, 5);
    const seq = toSequence(data);
    const result = await productNorms(seq);
    seq.dispose();
    const expected = 2000 * Math.log(1.5);
    expect(expected).toBeCloseTo(810.93, 2);
    for (let s = 0; s < 2; s++) {
      const product = result.logProduct[s]![1999]!;
      const bound = result.logBound[s]![1999]!;
      // The float32-rounded matrices are orthogonal only to ~6e-8, so their own
      // norms differ from 1.5 slightly; the bound is compared with their exact sum.
      const exactBound = exactStepNorms(data, s).reduce((sum, x) => sum + Math.log(x), 0);
      console.log(`2000 steps: logProduct ${product}, logBound ${bound} (exact ${exactBound}), 2000·ln 1.5 = ${expected}`);
      expect(Number.isFinite(product)).toBe(true);
      // 2000·PER_STEP = 4e-4 absolute = 5e-7 relative.
      expect(Math.abs(product - expected)).toBeLessThan(2000 * PER_STEP);
      expect(Math.abs(bound - exactBound)).toBeLessThan(2000 * PER_STEP);
      expect(Math.abs(exactBound - expected)).toBeLessThan(2000 * PER_STEP);
    }
  });
});

describe('diagonal products', () => {
  // D_t = diag(d_{t,1..n}), signs mixed. A product of diagonals is the
  // diagonal of products, whose 2-norm is its largest |entry|:
  //   logProduct[t] = max_i Σ_{u≤t} ln|d_{u,i}|,  logBound[t] = Σ_{u≤t} max_i ln|d_{u,i}|.
  // With Q_0 = I the QR of D_t·(signed coordinate vectors) is trivial:
  // R_t = diag(|d_{t,i}|), so λ_i = (1/T) Σ_t ln|d_{t,i}| exactly, reported
  // sorted. With any orthogonal Q_0 and k = n, Σ_i ln R_ii(t) = ln|det D_t|,
  // so the exponents still sum to (1/T) Σ_t Σ_i ln|d_{t,i}|.
  const n = 4;
  const steps = 12;
  const diag = (s: number, t: number, i: number) => (((s * 7 + t * 5 + i * 3) % 11) / 8 + 0.4) * ((t + i) % 3 === 0 ? -1 : 1);
  const data = buildSequence(2, steps, n, (s, t) => {
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) m[i * n + i] = diag(s, t, i);
    return m;
  });
  const logd = (s: number, t: number, i: number) => Math.log(Math.abs(Math.fround(diag(s, t, i))));

  it('k = n: logProduct, logBound and the FTLE (start Q_0 = I) are the closed forms', async () => {
    const seq = toSequence(data);
    const start = tf.tidy(() => tf.stack([tf.eye(n), tf.eye(n)])) as tf.Tensor3D;
    const withIdentity = await analyzeSequence(seq, { k: n, start });
    const withDefault = await analyzeSequence(seq, { k: n });
    start.dispose();
    seq.dispose();
    for (let s = 0; s < 2; s++) {
      const sums = new Array<number>(n).fill(0);
      let bound = 0;
      for (let t = 0; t < steps; t++) {
        for (let i = 0; i < n; i++) sums[i] = sums[i]! + logd(s, t, i);
        bound += Math.max(...Array.from({ length: n }, (_, i) => logd(s, t, i)));
        for (const result of [withIdentity, withDefault]) {
          expect(Math.abs(result.logProduct[s]![t]! - Math.max(...sums))).toBeLessThan((t + 1) * PER_STEP);
          expect(Math.abs(result.logBound[s]![t]! - bound)).toBeLessThan((t + 1) * PER_STEP);
        }
      }
      const averages = sums.map((x) => x / steps).sort((a, b) => b - a);
      withIdentity.ftle[s]!.forEach((x, i) => expect(Math.abs(x - averages[i]!)).toBeLessThan(PER_STEP));
      const total = averages.reduce((a, b) => a + b, 0);
      expect(Math.abs(withDefault.ftle[s]!.reduce((a, b) => a + b, 0) - total)).toBeLessThan(n * PER_STEP);
    }
  });
});

describe('alternating 90° rotation and diag(2, 1/2): the bound grows, the product does not', () => {
  // J_odd = D = diag(2, 1/2), J_even = R = [[0, −1], [1, 0]] (rotation by 90°).
  // R D Rᵀ = diag(1/2, 2) = D⁻¹, so D R D = D (R D Rᵀ) R = R. Hence
  //   P_1 = D, P_2 = R D, P_3 = D R D = R, P_4 = R² = −I, and P_{t+4} = −P_t:
  //   ‖P_t‖ = 2, 2, 1, 1, 2, 2, 1, 1, …  → logProduct[t] = ln 2 for t ≡ 1, 2 (mod 4), 0 for t ≡ 3, 0.
  // Step norms alternate 2, 1, so logBound[t] = ⌈t/2⌉·ln 2: linear growth
  // (20·ln 2 ≈ 13.86 at t = 40) against a product that stays at norm ≤ 2.
  // FTLE (k = n = 2): P_40 = I and λ₁ = (1/T) ln‖P_T q₁‖ = 0 for every unit
  // q₁; the sum is (1/T) Σ ln|det J_t| = 0, so λ = [0, 0].
  const steps = 40;
  const data = buildSequence(2, steps, 2, (_, t) => (t % 2 === 0 ? [2, 0, 0, 0.5] : [0, -1, 1, 0]));

  for (const k of [1, 2]) {
    it(`k = ${k}: exact product (k = 1 too, because q₁ is J_1's top singular vector e₁) and bound`, async () => {
      const seq = toSequence(data);
      const result = await analyzeSequence(seq, { k });
      seq.dispose();
      for (let s = 0; s < 2; s++) {
        for (let t = 1; t <= steps; t++) {
          const product = t % 4 === 1 || t % 4 === 2 ? Math.log(2) : 0;
          expect(Math.abs(result.logProduct[s]![t - 1]! - product)).toBeLessThan(t * PER_STEP);
          expect(Math.abs(result.logBound[s]![t - 1]! - Math.ceil(t / 2) * Math.log(2))).toBeLessThan(t * PER_STEP);
        }
        expect(result.logBound[s]![steps - 1]).toBeCloseTo(20 * Math.log(2), 5);
        result.ftle[s]!.forEach((x) => expect(Math.abs(x)).toBeLessThan(PER_STEP));
        expect(result.beta[s]).toBeCloseTo(2, 6);
      }
    });
  }
});

describe('a zero Jacobian', () => {
  it('gives stepNorm 0, logBound = logProduct = −∞ from that step on, FTLE −∞, and no NaN', async () => {
    // J_3 = 0 in the middle of a Gaussian sequence: every product from t = 3
    // on is the zero matrix. The QR sees an all-zero block: R = 0 (ln → −∞)
    // and fresh orthonormal directions, never 0/0.
    const random = gaussianSequence(2, 6, 4, 0.5, 3);
    random.data.fill(0, 2 * 16, 3 * 16); // sample 0, step index 2
    const seq = toSequence(random);
    const result = await analyzeSequence(seq, { k: 4 });
    seq.dispose();
    expect(result.stepNorm[0]![2]).toBe(0);
    for (let t = 0; t < 6; t++) {
      const expectInfinite = t >= 2;
      for (const field of [result.logBound, result.logProduct]) {
        expect(field[0]![t]! === -Infinity).toBe(expectInfinite);
        expect(Number.isFinite(field[1]![t]!)).toBe(true);
      }
    }
    result.ftle[0]!.forEach((x) => expect(x).toBe(-Infinity));
    result.ftle[1]!.forEach((x) => expect(Number.isFinite(x)).toBe(true));
  });
});

describe('random dense sequences against the float64 product', () => {
  // Gaussian J with entries N(0, 1/n): ‖J‖ ≈ 2, so the product grows and
  // the bound is loose, and T = 15 keeps the float64 reference product far
  // from overflow. The reference is the exact product of the same
  // float32-rounded matrices, so only the algorithm's float32 arithmetic
  // separates the two (PER_STEP per step).
  const cases = [
    { seed: 1, n: 3 },
    { seed: 2, n: 6 },
    { seed: 3, n: 6 },
    { seed: 4, n: 10 },
  ];
  for (const { seed, n } of cases) {
    it(`seed ${seed}, n = ${n}, S = 3, T = 15: k = n is exact, k < n a lower bound, bound ≥ product`, async () => {
      const steps = 15;
      const data = gaussianSequence(3, steps, n, 1 / Math.sqrt(n), seed);
      const seq = toSequence(data);
      const exact = await analyzeSequence(seq, { k: n });
      const partial = await analyzeSequence(seq, { k: Math.max(1, n - 2) });
      const byDefault = await analyzeSequence(seq);
      seq.dispose();
      let worst = 0;
      for (let s = 0; s < 3; s++) {
        const reference = exactLogProduct(data, s);
        const norms = exactStepNorms(data, s);
        for (let t = 0; t < steps; t++) {
          const tol = (t + 1) * PER_STEP * Math.sqrt(n);
          worst = Math.max(worst, Math.abs(exact.logProduct[s]![t]! - reference[t]!));
          expect(Math.abs(exact.logProduct[s]![t]! - reference[t]!)).toBeLessThan(tol);
          expect(partial.logProduct[s]![t]!).toBeLessThanOrEqual(reference[t]! + tol);
          expect(Math.abs(exact.stepNorm[s]![t]! - norms[t]!) / norms[t]!).toBeLessThan(PER_STEP * Math.sqrt(n));
          for (const r of [exact, partial, byDefault]) {
            expect(r.logBound[s]![t]!).toBeGreaterThanOrEqual(r.logProduct[s]![t]! - 1e-4);
          }
        }
        // At t = 1 the lower bound is exact for every k: q₁ is J_1's top right-singular vector.
        expect(Math.abs(partial.logProduct[s]![0]! - reference[0]!)).toBeLessThan(PER_STEP * Math.sqrt(n));
        for (const r of [exact, partial, byDefault]) {
          expect(Math.abs(r.logProduct[s]![0]! - r.logBound[s]![0]!)).toBeLessThan(PER_STEP * Math.sqrt(n));
        }
        // The largest exponent cannot exceed the growth rate of the norm.
        expect(exact.ftle[s]![0]!).toBeLessThanOrEqual(reference[steps - 1]! / steps + PER_STEP);
      }
      console.log(`random seed ${seed} n=${n}: max |logProduct − exact| = ${worst.toExponential(2)}`);
    });
  }

  it('is reproducible for a fixed seed and shares one propagation across the three entry points', async () => {
    const data = gaussianSequence(2, 8, 12, 0.3, 9);
    const seq = toSequence(data);
    const a = await analyzeSequence(seq, { seed: 5 });
    const b = await productNorms(seq, { seed: 5 });
    const c = await lyapunovSpectrum(seq, { seed: 5 });
    seq.dispose();
    expect(b.logProduct).toEqual(a.logProduct);
    expect(b.stepNorm).toEqual(a.stepNorm);
    expect(c).toEqual(a.ftle);
    expect(a.k).toBe(8);
    expect(a.ftle[0]).toHaveLength(8);
    expect(a.ftle[0]).toEqual([...a.ftle[0]!].sort((x, y) => y - x));
  });
});

describe('non-finite Jacobians', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    it(`an entry ${bad} at sample 1, step 3 makes that sample non-finite from step 3 on, sample 0 untouched`, async () => {
      const data = gaussianSequence(2, 5, 4, 0.5, 21);
      data.data[(1 * 5 + 2) * 16 + 6] = bad;
      const seq = toSequence(data);
      const result = await analyzeSequence(seq);
      seq.dispose();
      expect(result.stepNorm[1]![2]).toBeNaN();
      expect(result.beta[1]).toBeNaN();
      for (let t = 0; t < 5; t++) {
        expect(Number.isFinite(result.stepNorm[0]![t]!)).toBe(true);
        expect(Number.isFinite(result.logProduct[0]![t]!)).toBe(true);
        if (t >= 2) {
          expect(result.logBound[1]![t]).toBeNaN();
          expect(result.logProduct[1]![t]).toBeNaN();
        } else {
          expect(Number.isFinite(result.logProduct[1]![t]!)).toBe(true);
        }
      }
      result.ftle[1]!.forEach((x) => expect(x).toBeNaN());
      result.ftle[0]!.forEach((x) => expect(Number.isFinite(x)).toBe(true));
    });
  }
});

describe('resources and options', () => {
  it('leaves tf.memory().numTensors unchanged over repeated calls', async () => {
    const seq = toSequence(gaussianSequence(2, 6, 5, 0.5, 2));
    await analyzeSequence(seq); // fills the sequence's own per-step cache
    const before = tf.memory().numTensors;
    for (let r = 0; r < 3; r++) {
      await analyzeSequence(seq);
      await productNorms(seq, { k: 5 });
      await lyapunovSpectrum(seq, { k: 2 });
    }
    expect(tf.memory().numTensors).toBe(before);
    seq.dispose();
  });

  it('rejects bad options with messages that name them, leaking nothing', async () => {
    const before = tf.memory().numTensors;
    const seq = toSequence(gaussianSequence(1, 2, 3, 0.5, 2));
    await expect(productNorms(seq, { k: 4 })).rejects.toThrow(/propagateProduct: option k must be an integer in \[1, 3\], got 4/);
    await expect(lyapunovSpectrum(seq, { k: 0 })).rejects.toThrow(/option k/);
    await expect(analyzeSequence(seq, { kk: 1 } as never)).rejects.toThrow(/unknown option 'kk'/);
    const start = tf.zeros([1, 2, 4]) as tf.Tensor3D;
    await expect(lyapunovSpectrum(seq, { k: 2, start })).rejects.toThrow(/start must have shape \[1, 2, 3\], got \[1, 2, 4\]/);
    start.dispose();
    seq.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
