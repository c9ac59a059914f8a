import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../test-helpers/backend.js';
import type { ClipReport } from '../with-clipping.js';
import { trainStepEvent } from './train-step-event.js';

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
