/**
 * A run that ends before its measurement worker has started (a few steps
 * of a small model; the worker loads tfjs for about a second). The first
 * step's snapshot, held for the worker, is measured on the training thread
 * at the run's end — with the first step's weights, not the final ones —
 * and the worker is not waited for. The worker here is real but never says
 * it is ready (the test holds its 'ready' back), which makes "before it
 * has started" certain on any machine.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerMeasurement } from '@gradscope/protocol';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { measureModel } from '../measure-model.js';
import { liveMeasureWorkers, startNodeMeasureWorker } from '../platform/node/node-measure-worker.js';
import { nodePlatform } from '../platform/node/node-platform.js';
import { installPlatform } from '../platform/platform.js';
import { useTestBackend } from '../test-helpers/backend.js';
import { worstRelative } from '../test-helpers/records.js';
import { ofType, readRuns, tempLogdirsPerTest } from '../test-helpers/runs.js';
import { data, rnn } from '../test-helpers/worker-models.js';
import { gradscope } from './monitor.js';

beforeAll(async () => {
  await useTestBackend();
});

afterEach(() => installPlatform(nodePlatform));

const logdir = tempLogdirsPerTest();

/** A record's layers without their names (the twins' layers are named apart). */
const unnamed = (layers: LayerMeasurement[]) => layers.map(({ layer: _name, ...rest }) => rest);
/** Only their numbers (the words of a diagnosis differ as soon as its figures do). */
const numbers = (layers: LayerMeasurement[]) => unnamed(layers).map(({ diagnosis: _d, regime: _r, ...rest }) => rest);

describe('a run shorter than the worker takes to start', () => {
  it("measures the first step's snapshot on the thread with the first step's weights, puts the final weights back, and does not wait for the worker", async () => {
    let started = false;
    installPlatform({
      ...nodePlatform,
      async startMeasureWorker() {
        const real = await startNodeMeasureWorker();
        started = true;
        const poll = () => {
          const reply = real.poll();
          return reply?.type === 'ready' ? undefined : reply;
        };
        return { backend: real.backend, post: (m, t) => real.post(m, t), poll, terminate: () => real.terminate(), get died() { return real.died; } };
      },
    });
    const model = rnn();
    model.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
    const { xs, ys } = data(8);
    const probe = { xs: xs.slice(0, 4), ys: ys.slice(0, 4) };
    // The weights at the end of each step (the monitor's hook runs first: a step's snapshot is taken after its update).
    const atStepEnd: tf.Tensor[][] = [];
    const capture = new tf.CustomCallback({ onBatchEnd: async () => void atStepEnd.push(model.getWeights().map((w) => w.clone())) });
    const dir = logdir();
    const before = tf.memory().numTensors;
    const monitor = gradscope({ probe, logdir: dir, console: false, serve: false, every: 1, budget: 1000 });
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor, capture], verbose: 0 });
    await monitor.close();
    expect(started).toBe(true);
    expect(liveMeasureWorkers()).toBe(0);

    const events = readRuns(dir).get(monitor.runId!)!;
    const measured = ofType(events, 'measurement');
    expect(measured.map((m) => [m.step, m.measuredIn])).toEqual([[0, 'thread']]);
    expect(events.at(-1)!.type).toBe('run-end');
    expect(ofType(events, 'run-end')[0]!.totals).toMatchObject({ steps: 2, measurements: 1 });
    expect(ofType(events, 'alert').filter((a) => a.kind === 'measured-on-thread' || a.kind === 'measurement-error')).toEqual([]);

    // The run ends with its own final weights, bit for bit.
    const final = model.getWeights();
    expect(final.map((w) => Array.from(w.dataSync()))).toEqual(atStepEnd[1]!.map((w) => Array.from(w.dataSync())));
    // No tensor left behind: what the run added is the optimizer's slots and the captured weights.
    const optimizerSlots = 2 * final.length; // Adam: two moments per weight (its beta powers came with the optimizer)
    expect(tf.memory().numTensors - before).toBe(optimizerSlots + atStepEnd.flat().length);

    // The record is what the first step's weights measure to (a twin model on the thread, without the run's warm-start cache).
    const twin = rnn();
    twin.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    twin.setWeights(atStepEnd[0]!);
    // The run's gradient norms up to that step go into the diagnosis: the first step's, from its train-step event.
    const gradNormHistory = [ofType(events, 'train-step')[0]!.gradNormBefore!];
    const expected = await measureModel(twin, probe, { gradNormHistory });
    expect(worstRelative(unnamed(measured[0]!.layers), unnamed(expected)).diff).toBeLessThan(1e-5);
    // ... and not what the final weights measure to: the comparison tells them apart.
    twin.setWeights(final);
    expect(worstRelative(numbers(measured[0]!.layers), numbers(await measureModel(twin, probe, { gradNormHistory }))).diff).toBeGreaterThan(1e-3);
    twin.dispose();
    tf.dispose([xs, ys, probe.xs, probe.ys, ...atStepEnd.flat()]);
  });
});
