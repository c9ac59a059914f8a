import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { denseOperator, denseSequence } from './operator.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('denseOperator and denseSequence (tfjs-core only, no chained ops)', () => {
  it('apply is V Jᵀ and applyTranspose is V J, on rows', () => {
    const j = tf.tensor3d([1, 2, 3, 4], [1, 2, 2]); // J = [[1, 2], [3, 4]]
    const op = denseOperator(j);
    const v = tf.tensor3d([1, 0, 0, 1], [1, 2, 2]); // rows e1, e2
    expect(op.apply(v).arraySync()).toEqual([[[1, 3], [2, 4]]]); // J e1, J e2 as rows
    expect(op.applyTranspose(v).arraySync()).toEqual([[[1, 2], [3, 4]]]); // Jᵀ e1, Jᵀ e2
    tf.dispose([j, v]);
  });

  it('step(t) and all() index as documented (all: s·T + t) and dispose frees everything', () => {
    const before = tf.memory().numTensors;
    // Entry J[s][t] = (10 s + t)·I₂.
    const data = [0, 1].flatMap((s) => [0, 1, 2].flatMap((t) => [10 * s + t, 0, 0, 10 * s + t]));
    const input = tf.tensor4d(data, [2, 3, 2, 2]);
    const seq = denseSequence(input);
    input.dispose();
    expect([seq.samples, seq.steps, seq.size]).toEqual([2, 3, 2]);
    const e1 = tf.tensor3d([1, 0, 1, 0], [2, 1, 2]);
    const image = seq.step(2).apply(e1);
    expect(image.arraySync()).toEqual([[[2, 0]], [[12, 0]]]);
    const all = seq.all();
    expect(all.batch).toBe(6);
    const ones = tf.ones([6, 1, 2]) as tf.Tensor3D;
    const allImage = all.apply(ones);
    expect((allImage.arraySync() as number[][][]).map((r) => r[0]![0])).toEqual([0, 1, 2, 10, 11, 12]);
    tf.dispose([e1, ones, image, allImage]);
    seq.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('accepts [T, n, n] as one sample and rejects other shapes by name', () => {
    const three = tf.zeros([4, 3, 3]);
    const seq = denseSequence(three);
    expect([seq.samples, seq.steps, seq.size]).toEqual([1, 4, 3]);
    expect(() => seq.step(4)).toThrow(/denseSequence.step: t must be an integer in \[0, 4\), got 4/);
    seq.dispose();
    const bad = tf.zeros([2, 3, 4]);
    expect(() => denseSequence(bad)).toThrow(/denseSequence: Jacobians must be square, got \[2, 3, 4\]/);
    const flat = tf.zeros([3, 3]);
    expect(() => denseSequence(flat)).toThrow(/rank 2/);
    tf.dispose([three, bad, flat]);
  });
});
