import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../test-helpers/backend.js';
import { ProbeTap, TAP_SAMPLES } from './probe-tap.js';

beforeAll(async () => {
  await useTestBackend();
});

/** Draws every batch of a dataset, as fitDataset does, disposing each. */
async function drain<T extends tf.TensorContainer>(dataset: tf.data.Dataset<T>): Promise<void> {
  await dataset.forEachAsync((batch) => tf.dispose(batch));
}

const rows = (n: number) => Array.from({ length: n }, (_, i) => [[i], [i + 0.5]]);

describe('ProbeTap', () => {
  it('keeps the first TAP_SAMPLES samples of the first { xs, ys } batch, beyond the batch itself', async () => {
    const xs = tf.unstack(tf.tensor3d(rows(20)));
    const ys = tf.unstack(tf.tensor2d(Array.from({ length: 20 }, (_, i) => [i])));
    const dataset = tf.data.zip({ xs: tf.data.array(xs), ys: tf.data.array(ys) }).batch(10);
    const before = tf.memory().numTensors;
    const probes = new ProbeTap(null);
    await drain(probes.tap(dataset));
    expect(tf.memory().numTensors).toBe(before + 2); // the batches are gone; the probe's xs and ys are kept
    const probe = probes.probe!;
    expect((probe.xs as tf.Tensor).shape).toEqual([TAP_SAMPLES, 2, 1]);
    expect(Array.from((probe.ys as tf.Tensor).dataSync())).toEqual([0, 1, 2, 3, 4, 5, 6, 7]); // the first batch, not a later one
    probes.release();
    expect(probes.probe).toBeNull();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...xs, ...ys]);
  });

  it('takes [xs, ys] batches, a smaller first batch whole, and multi-input xs as a list', async () => {
    const probes = new ProbeTap(null);
    const batch = [[tf.ones([3, 2, 1]), tf.zeros([3, 2, 1])], tf.ones([3, 1])];
    await drain(probes.tap(tf.data.array([batch as unknown as tf.TensorContainer])));
    const xs = probes.probe!.xs as tf.Tensor[];
    expect(xs.map((t) => t.shape)).toEqual([
      [3, 2, 1],
      [3, 2, 1],
    ]);
    expect((probes.probe!.ys as tf.Tensor).shape).toEqual([3, 1]);
    probes.release();
  });

  it('leaves a given probe alone: nothing captured, nothing disposed', async () => {
    const given = { xs: tf.ones([2, 2, 1]) };
    const probes = new ProbeTap(given);
    const xs = tf.zeros([4, 2, 1]);
    await drain(probes.tap(tf.data.array([{ xs }])));
    expect(probes.tapped).toBe(true);
    expect(probes.probe).toBe(given);
    probes.release();
    expect(probes.probe).toBe(given);
    expect(given.xs.isDisposed).toBe(false);
    tf.dispose([given.xs, xs]);
  });
});
