import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { adjointNorms } from './probe-run.js';
import { useTestBackend } from './test-helpers/backend.js';

beforeAll(async () => {
  await useTestBackend();
});

/** sqrt(Σ_j Σ_c g_jc²) per sample, in float64 from the float32 entries. */
function reference(parts: number[][][], samples: number): number[] {
  return Array.from({ length: samples }, (_, s) => Math.sqrt(parts.reduce((sum, g) => sum + g[s]!.reduce((a, x) => a + x * x, 0), 0)));
}

describe('adjointNorms: ‖∂L/∂s_t‖ from the kept cotangents', () => {
  it('sums over a step\'s states of equal or different widths, with 0 at untapped steps, to float32 rounding', () => {
    const samples = 3;
    const f32 = (rows: number[][]) => rows.map((r) => r.map((x) => Math.fround(x)));
    const values = (width: number, seed: number) => f32(Array.from({ length: samples }, (_, s) => Array.from({ length: width }, (_, c) => Math.sin(seed + 7 * s + c) * 10 ** (seed % 3))));
    for (const widths of [[4, 4], [4, 2]]) {
      // t = 0: two states; t = 1: never tapped; t = 2: one state (the other did not reach the loss).
      const data = [[values(widths[0]!, 1), values(widths[1]!, 2)], [], [values(widths[0]!, 3)]];
      const perStep: tf.Tensor[][] = [];
      data.forEach((parts, t) => {
        if (parts.length) perStep[t] = parts.map((g) => tf.tensor2d(g));
      });
      const before = tf.memory().numTensors;
      const norms = adjointNorms(perStep, 2, samples);
      expect(tf.memory().numTensors).toBe(before);
      for (let t = 0; t <= 2; t++) {
        const expected = data[t]!.length ? reference(data[t]!, samples) : [0, 0, 0];
        for (let s = 0; s < samples; s++) {
          const got = norms[s]![t]!;
          expect(Math.fround(got)).toBe(got); // a float32 value, as tfjs's would be
          if (expected[s] === 0) expect(got).toBe(0);
          else expect(Math.abs(got - expected[s]!) / expected[s]!, `widths ${widths}, t ${t}, s ${s}`).toBeLessThan(1e-6);
        }
      }
      tf.dispose(perStep.flat());
    }
  });
});
