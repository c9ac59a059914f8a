import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { workerInit } from '../monitor/worker-init.js';
import { layersNeeded, snapshotWeights } from '../monitor/weight-snapshot.js';
import { findRecurrentLayers } from '../recurrent-layers.js';
import { useTestBackend } from '../test-helpers/backend.js';
import { measureHandler } from './measure-handler.js';
import type { FromWorker, SnapshotMessage } from './messages.js';

beforeAll(async () => {
  await useTestBackend();
});

describe("the worker's mailbox (measure-handler.ts, in this thread)", () => {
  it("keeps the run's first snapshot when newer ones arrive before it starts: step 0 measured, the middle one skipped, the newest measured", async () => {
    const model = tf.sequential({ layers: [tf.layers.simpleRNN({ units: 4, inputShape: [5, 3] }), tf.layers.dense({ units: 1 })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const probe = { xs: tf.randomNormal([2, 5, 3], 0, 1, 'float32', 1), ys: tf.zeros([2, 1]) };
    const { init } = await workerInit(model, probe, {});
    const replies: FromWorker[] = [];
    const handle = measureHandler({ selectBackend: async () => tf.getBackend(), post: (reply) => replies.push(reply) });
    await handle(init);
    expect(replies.map((r) => r.type)).toEqual(['ready']);
    const { weights } = await snapshotWeights(layersNeeded(model, findRecurrentLayers(model), probe));
    const snapshot = (step: number, first = false): SnapshotMessage => ({ type: 'snapshot', step, epoch: 0, weights, gradNormHistory: [], ...(first ? { first: true } : {}) });
    // As a starved worker's event loop sees them: the held first snapshot and two newer ones, all before it reads its mailbox.
    void handle(snapshot(0, true));
    void handle(snapshot(1));
    void handle(snapshot(2));
    const done = () => replies.some((r) => r.type === 'measured' && r.step === 2);
    for (let waited = 0; !done() && waited < 120_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    const steps = (type: string) => replies.filter((r) => r.type === type).map((r) => (r as { step: number }).step);
    expect(steps('measured')).toEqual([0, 2]);
    expect(steps('skipped')).toEqual([1]);
    await handle({ type: 'close' });
    tf.dispose([probe.xs, probe.ys]);
    model.dispose();
  });
});
