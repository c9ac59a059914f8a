import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../test-helpers/backend.js';
import { splitRows } from './split-rows.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('splitRows', () => {
  it('gives what tf.split gives along the first axis, for rank 2 and 3 and uneven blocks, NaN kept, nothing left behind', () => {
    const before = tf.memory().numTensors;
    for (const [shape, rows] of [[[12, 5], [4, 4, 4]], [[9, 2, 3], [2, 3, 4]], [[7, 3], [7]]] as [number[], number[]][]) {
      const values = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i === 5 ? NaN : Math.sin(i) * 10 ** (i % 5)));
      const t = tf.tensor(values, shape);
      const got = splitRows(t, rows);
      const want = tf.split(t, rows, 0);
      expect(got.map((g) => g.shape)).toEqual(want.map((w) => w.shape));
      got.forEach((g, i) => expect(Array.from(g.dataSync())).toEqual(Array.from(want[i]!.dataSync())));
      tf.dispose([t, ...got, ...want]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the rows and the shape when they do not add up', () => {
    const t = tf.zeros([8, 3]);
    expect(() => splitRows(t, [4, 3])).toThrow(/rows 4 \+ 3 = 7 do not add up to the first axis 8 of shape \[8, 3\]/);
    t.dispose();
  });
});
