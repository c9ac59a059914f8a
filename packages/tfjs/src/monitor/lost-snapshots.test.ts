import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../test-helpers/backend.js';
import { LostSnapshots } from './lost-snapshots.js';
import { readClones } from './weight-snapshot.js';

beforeAll(async () => {
  await useTestBackend();
});

const clonesOf = (values: number[]) => ({ tensors: [{ layer: 'rnn', tensors: [tf.tensor1d(values)] }] });
const at = (step: number) => ({ step, epoch: 0, gradNormHistory: [step] });
const valuesOf = (snapshot: { weights: { values: { values: ArrayLike<number> }[] }[] }) => Array.from(snapshot.weights[0]!.values[0]!.values);

describe('LostSnapshots', () => {
  it('hands over every snapshot once, oldest first, the held clones read back and disposed', async () => {
    const before = tf.memory().numTensors;
    const lost = new LostSnapshots();
    const posted = { ...at(7), weights: [{ layer: 'rnn', values: [{ shape: [2], dtype: 'float32' as const, values: new Float32Array([7, 7]) }] }] };
    lost.addPosted(posted);
    lost.addPosted({ ...posted }); // the same step again (the first and the newest): once
    lost.addHeld({ ...at(0), clones: clonesOf([1, 2]) });
    lost.addReading({ at: at(3), read: readClones(clonesOf([3, 4])) });
    const taken = await lost.take();
    expect(taken.map((s) => s.step)).toEqual([0, 3, 7]);
    expect(taken.map(valuesOf)).toEqual([[1, 2], [3, 4], [7, 7]]);
    expect(taken[0]!.gradNormHistory).toEqual([0]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a newer held snapshot replaces the older one, whose clones are freed; dispose() frees what was never taken', () => {
    const before = tf.memory().numTensors;
    const lost = new LostSnapshots();
    lost.addHeld({ ...at(0), clones: clonesOf([1]) });
    lost.addHeld({ ...at(1), clones: clonesOf([2]) });
    expect(tf.memory().numTensors).toBe(before + 1);
    lost.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a read that fails loses only that snapshot', async () => {
    const lost = new LostSnapshots();
    lost.addPosted({ ...at(5), weights: [] });
    const failed = Promise.reject(new Error('context lost'));
    failed.catch(() => {}); // its reader reports it
    lost.addReading({ at: at(6), read: failed });
    expect((await lost.take()).map((s) => s.step)).toEqual([5]);
  });
});
