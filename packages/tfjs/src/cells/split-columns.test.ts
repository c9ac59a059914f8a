import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../test-helpers/backend.js';
import { splitColumns } from './split-columns.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('splitColumns', () => {
  it('gives what tf.split gives along the last axis, for rank 2 and 3 and uneven widths, NaN kept, nothing left behind', () => {
    const before = tf.memory().numTensors;
    for (const [shape, widths] of [[[5, 1, 12], [6, 6]], [[4, 9], [2, 3, 4]], [[3, 2, 7], [7]]] as [number[], number[]][]) {
      const values = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i === 5 ? NaN : Math.sin(i) * 10 ** (i % 5)));
      const t = tf.tensor(values, shape);
      const got = splitColumns(t, widths);
      const want = tf.split(t, widths, shape.length - 1);
      expect(got.map((g) => g.shape)).toEqual(want.map((w) => w.shape));
      got.forEach((g, i) => expect(Array.from(g.dataSync())).toEqual(Array.from(want[i]!.dataSync())));
      tf.dispose([t, ...got, ...want]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the widths and the shape when they do not add up', () => {
    const t = tf.zeros([2, 1, 8]);
    expect(() => splitColumns(t, [4, 3])).toThrow(/widths 4 \+ 3 = 7 do not add up to the last axis 8 of shape \[2, 1, 8\]/);
    t.dispose();
  });
});
