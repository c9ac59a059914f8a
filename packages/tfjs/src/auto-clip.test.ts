import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoClipHistory, percentileOfSorted } from './auto-clip.js';
import { useTestBackend } from './test-helpers/backend.js';
import { withClipping, type ClipReport } from './with-clipping.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('percentileOfSorted: linear interpolation between closest ranks', () => {
  it('matches hand-computed ranks', () => {
    // rank = p/100 · (n − 1). [1, 2, 4, 8]: p = 50 → rank 1.5 → 2 + 0.5·(4 − 2) = 3.
    expect(percentileOfSorted([1, 2, 4, 8], 50)).toBe(3);
    // p = 10 → rank 0.3 → 1 + 0.3·(2 − 1) = 1.3.
    expect(percentileOfSorted([1, 2, 4, 8], 10)).toBeCloseTo(1.3, 12);
    expect(percentileOfSorted([1, 2, 4, 8], 100)).toBe(8);
    expect(percentileOfSorted([5], 10)).toBe(5);
  });
});

describe('AutoClipHistory: the threshold of each step, by hand', () => {
  it('percentile 50 over every step, this step included', () => {
    const h = new AutoClipHistory(50, Infinity);
    // Norms 4, 1, 9, 2, 100; the sorted history after each and its median:
    // [4] → 4; [1, 4] → 2.5; [1, 4, 9] → 4; [1, 2, 4, 9] → 3; [1, 2, 4, 9, 100] → 4.
    expect([4, 1, 9, 2, 100].map((g) => h.observe(g))).toEqual([4, 2.5, 4, 3, 4]);
  });

  it('percentile 10 with a window of 3 steps forgets the oldest', () => {
    const h = new AutoClipHistory(10, 3);
    // Windows: [10] → 10; [10, 20] → 10 + 0.1·10 = 11; [10, 20, 30] → rank 0.2 → 12;
    // [20, 30, 1] → sorted [1, 20, 30], rank 0.2 → 1 + 0.2·19 = 4.8; [30, 1, 40] → [1, 30, 40] → 1 + 0.2·29 = 6.8.
    const got = [10, 20, 30, 1, 40].map((g) => h.observe(g)!);
    [10, 11, 12, 4.8, 6.8].forEach((want, i) => expect(got[i]).toBeCloseTo(want, 12));
  });

  it('a NaN step neither enters the history nor gets a threshold of its own', () => {
    const h = new AutoClipHistory(50, Infinity);
    expect(h.observe(NaN)).toBeNull();
    expect(h.observe(2)).toBe(2);
    expect(h.observe(Infinity)).toBe(2);
    expect(h.observe(4)).toBe(3);
  });
});

let unique = 0;

describe('withClipping({ autoClip }) scales the global norm to the percentile', () => {
  it('steps with global norms 13, 5, 26 at the 50th percentile: clips only the third, to 13', () => {
    const id = unique++;
    const a = tf.variable(tf.zeros([2]), true, `autoclip_a_${id}`);
    const b = tf.variable(tf.zeros([1]), true, `autoclip_b_${id}`);
    const opt = withClipping(tf.train.sgd(1), { autoClip: { percentile: 50 } });
    const reports: ClipReport[] = [];
    opt.onStep((r) => reports.push(r));
    // Global norms: √(3² + 4² + 12²) = 13; √(3² + 4²) = 5; 2·13 = 26.
    const steps = [
      [[3, 4], [12]],
      [[3, 4], [0]],
      [[6, 8], [24]],
    ];
    for (const [ga, gb] of steps) {
      const grads = { [a.name]: tf.tensor1d(ga!), [b.name]: tf.tensor1d(gb!) };
      opt.applyGradients(grads);
      tf.dispose(Object.values(grads));
    }
    // Thresholds: median of [13] = 13; of [5, 13] = 9; of [5, 13, 26] = 13.
    expect(reports.map((r) => r.threshold)).toEqual([13, 9, 13]);
    expect(reports.map((r) => r.mode)).toEqual(['autoClip', 'autoClip', 'autoClip']);
    expect(reports.map((r) => r.clipped.length)).toEqual([0, 0, 2]);
    expect(reports[2]!.clipped[0]!.factor).toBeCloseTo(0.5, 6);
    expect(reports[2]!.globalNormAfter).toBeCloseTo(13, 4);
    // Applied updates (SGD, lr 1): a = −([3, 4] + [3, 4] + 0.5·[6, 8]) = −[9, 12]; b = −(12 + 0 + 12) = −24.
    Array.from(a.dataSync()).forEach((v, i) => expect(v).toBeCloseTo([-9, -12][i]!, 5));
    expect(b.dataSync()[0]).toBeCloseTo(-24, 5);
    tf.dispose([a, b]);
    opt.dispose();
  });

  it('leaves no tensors behind', () => {
    const v = tf.variable(tf.zeros([3]), true, `autoclip_leak_${unique++}`);
    const opt = withClipping(tf.train.sgd(0.1), { autoClip: {} });
    const step = (scale: number) => {
      const g = { [v.name]: tf.fill([3], scale) };
      opt.applyGradients(g);
      tf.dispose(Object.values(g));
    };
    step(1);
    const settled = tf.memory().numTensors;
    for (let i = 2; i < 6; i++) step(i);
    expect(tf.memory().numTensors).toBe(settled);
    tf.dispose(v);
    opt.dispose();
  });

  it('rejects bad autoClip options with an error naming the option', () => {
    const sgd = tf.train.sgd(0.1);
    expect(() => withClipping(sgd, { autoClip: 10 } as any)).toThrow(/autoClip must be an object/);
    expect(() => withClipping(sgd, { autoClip: { percentile: 0 } })).toThrow(/autoClip\.percentile must be a number in \(0, 100\]/);
    expect(() => withClipping(sgd, { autoClip: { percentile: 150 } })).toThrow(/autoClip\.percentile/);
    expect(() => withClipping(sgd, { autoClip: { history: 2.5 } })).toThrow(/autoClip\.history must be a positive integer/);
    expect(() => withClipping(sgd, { autoClip: { percentil: 10 } } as any)).toThrow(/unknown option 'autoClip\.percentil'/);
    expect(() => withClipping(sgd, { autoClip: {}, globalClipNorm: 1 })).toThrow(/at most one.*globalClipNorm and autoClip/);
  });
});
