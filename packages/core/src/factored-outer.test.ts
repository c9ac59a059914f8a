import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { FactoredOuter, type OuterKernel } from './factored-outer.js';
import { LOBPCG_KERNEL_BASE64 } from './lobpcg-kernel-bytes.js';
import { gaussianMatrix, normalSource } from './test-helpers/linalg64.js';
import { borrowKernel, reserve } from './wasm-kernel.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const n = 12;
const batch = 5;
// Byte offsets of the test's rows in the kernel's memory.
const block = batch * n * 4;
const at = { scale: 0, stage: block, iota: 2 * block, v: 3 * block, into: 4 * block, diagonal: 5 * block };

/** J Jᵀ v in float64, from the factors as the definition states them: diag(s) G diag(s) v + ι v. */
function expected(s: Float64Array, g: (b: number) => Float64Array, iota: number[], v: Float64Array, maps: number[]): number[] {
  return maps.flatMap((b, r) => {
    const gb = g(b);
    return Array.from({ length: n }, (_, i) => {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += (gb[i * n + k] as number) * (s[b * n + k] as number) * (v[r * n + k] as number);
      return (s[b * n + i] as number) * sum + (iota[b] as number) * (v[r * n + i] as number);
    });
  });
}

/** A symmetric n × n matrix AᵀA (float32 values), as a SimpleRNN's Rᵀ R. */
function symmetric(seed: number): Float64Array {
  const a = gaussianMatrix(n, n, normalSource(seed), 0.3);
  return Float64Array.from({ length: n * n }, (_, k) => {
    const [i, j] = [Math.floor(k / n), k % n];
    let sum = 0;
    for (let m = 0; m < n; m++) sum += (a[m * n + i] as number) * (a[m * n + j] as number);
    return Math.fround(sum);
  });
}

describe('products by J Jᵀ in factored form (factored-outer.ts)', () => {
  for (const perMap of [false, true]) {
    it(`${perMap ? 'one G per map' : 'one G for every map'}: s ⊙ ((s ⊙ v) G) + ι v and diag(J Jᵀ), before and after maps leave`, async () => {
      const lent = borrowKernel<OuterKernel>(LOBPCG_KERNEL_BASE64)!;
      const { kernel } = lent;
      expect(reserve(kernel.memory, 6 * block)).toBe(true);
      const next = normalSource(3);
      const s = Float64Array.from({ length: batch * n }, () => Math.fround(1 - 0.3 * Math.abs(next())));
      // Map 2 is a masked step: J = I, scale 0 and ι 1.
      s.fill(0, 2 * n, 3 * n);
      const iota = [0, 0, 1, 0, 0];
      const grams = Array.from({ length: perMap ? batch : 1 }, (_, b) => symmetric(10 + b));
      const g = (b: number) => grams[perMap ? b : 0]!;
      const gramTensor = perMap ? tf.tensor3d(grams.flatMap((m) => Array.from(m)), [batch, n, n]) : tf.tensor2d(Float32Array.from(grams[0]!), [n, n]);
      const before = tf.memory().numTensors;
      const outer = await FactoredOuter.load(
        { scale: tf.tensor3d(Float32Array.from(s), [batch, 1, n]), gram: gramTensor, identity: tf.tensor3d(iota, [batch, 1, 1]) },
        kernel,
        at,
        at.diagonal,
        batch,
        n,
      );
      try {
        const f32 = (offset: number, length: number) => new Float32Array(kernel.memory.buffer, offset, length);
        const diagonal = Array.from(f32(at.diagonal, batch * n));
        const wantDiagonal = Array.from({ length: batch * n }, (_, k) => {
          const [b, i] = [Math.floor(k / n), k % n];
          return (s[k] as number) ** 2 * (g(b)[i * n + i] as number) + (iota[b] as number);
        });
        diagonal.forEach((d, k) => expect(d).toBeCloseTo(wantDiagonal[k] as number, 6));

        const v = Float64Array.from({ length: batch * n }, () => Math.fround(next()));
        const check = (maps: number[]) => {
          f32(at.v, maps.length * n).set(v.subarray(0, maps.length * n));
          outer.product(at.v, at.into, maps.length);
          const got = f32(at.into, maps.length * n);
          const want = expected(s, g, iota, v, maps);
          const scale = Math.max(...want.map(Math.abs));
          want.forEach((x, k) => expect(Math.abs((got[k] as number) - x) / scale).toBeLessThan(1e-6));
          // The masked map's image is v itself, exactly.
          const masked = maps.indexOf(2);
          if (masked >= 0) expect(Array.from(got.subarray(masked * n, (masked + 1) * n))).toEqual(Array.from(v.subarray(masked * n, (masked + 1) * n)));
        };
        check([0, 1, 2, 3, 4]);
        // Maps 0 and 3 leave: rows 1, 2, 4 move up; G follows where it is per map.
        outer.keep([1, 2, 4], [1, 2, 4], batch);
        check([1, 2, 4]);
        outer.keep([0, 2], [1, 4], 3);
        check([1, 4]);
      } finally {
        outer.dispose();
        lent.release();
      }
      expect(tf.memory().numTensors).toBe(before - 1); // G was the run's to free
    });
  }
});
