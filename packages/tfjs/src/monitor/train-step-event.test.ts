import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../test-helpers/backend.js';
import { ofType, readRuns, tempLogdirsPerTest } from '../test-helpers/runs.js';
import type { ClipReport } from '../with-clipping.js';
import { readLogs, trainStepEvent } from './train-step-event.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('trainStepEvent', () => {
  it("takes fit's logs: the loss, every metric, but not fit's batch and size", () => {
    expect(trainStepEvent({ loss: 0.25, mae: 0.5, acc: 1, batch: 3, size: 8 }, null)).toEqual({
      type: 'train-step',
      loss: 0.25,
      metrics: { mae: 0.5, acc: 1 },
      gradNormBefore: null,
      gradNormAfter: null,
      learningRate: null,
    });
  });

  it("reads a custom loop's scalar tensors, and skips a disposed one", () => {
    const loss = tf.scalar(0.125);
    const gone = tf.scalar(9);
    gone.dispose();
    expect(trainStepEvent({ loss: loss as unknown as number, gone: gone as unknown as number }, null)).toMatchObject({ loss: 0.125, metrics: {} });
    loss.dispose();
  });

  it('takes the norms, learning rate and clip threshold from the optimizer report', () => {
    const report: ClipReport = { iteration: 0, norms: { a: 5 }, globalNormBefore: 5, globalNormAfter: 1, mode: 'globalClipNorm', threshold: 1, clipped: [], learningRate: 0.01 };
    expect(trainStepEvent({ loss: 1 }, report)).toEqual({
      type: 'train-step',
      loss: 1,
      metrics: {},
      gradNormBefore: 5,
      gradNormAfter: 1,
      learningRate: 0.01,
      clipThreshold: 1,
    });
    // No threshold in force (no clipping, or autoClip before any finite norm): no clipThreshold field at all.
    expect('clipThreshold' in trainStepEvent({ loss: 1 }, { ...report, mode: null, threshold: null })).toBe(false);
  });
});

const logdir = tempLogdirsPerTest();

describe('readLogs', () => {
  it("reads scalar tensors (a non-scalar's first entry), keeps numbers and other values, and leaves a disposed tensor as it is", async () => {
    const loss = tf.scalar(0.5);
    const pair = tf.tensor1d([3, 4]);
    const gone = tf.scalar(9);
    gone.dispose();
    const logs = { loss: loss as unknown as number, pair: pair as unknown as number, gone: gone as unknown as number, mae: 0.25, batch: 2 };
    const read = await readLogs(logs);
    expect(read).toEqual({ loss: 0.5, pair: 3, gone, mae: 0.25, batch: 2 });
    // A new object: fit()'s own logs are not touched.
    expect(logs.loss).toBe(loss);
    tf.dispose([loss, pair]);
  });

  it('a monitor.step() given no logs object (from JavaScript) records the step rather than throwing into the loop', async () => {
    const { gradscope } = await import('./monitor.js');
    const model = tf.sequential({ layers: [tf.layers.simpleRNN({ units: 3, inputShape: [4, 2] }), tf.layers.dense({ units: 1 })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const xs = tf.randomNormal([2, 4, 2]);
    const dir = logdir();
    const monitor = gradscope({ probe: { xs }, logdir: dir, console: false, serve: false, worker: false, every: 1000 });
    await monitor.step(model, null as unknown as Record<string, number>);
    await monitor.step(model, undefined);
    await monitor.close();
    const events = readRuns(dir).get(monitor.runId!)!;
    expect(ofType(events, 'train-step').map((e) => e.loss)).toEqual([null, null]);
    expect(ofType(events, 'alert').filter((a) => a.kind === 'measurement-error')).toEqual([]);
    model.dispose();
    xs.dispose();
  });
});
