/**
 * The end of a run measured in a worker, when the worker is not there to
 * finish: a run that ends before its worker has started (a few steps of a
 * small model; the worker loads tfjs for about a second), and a worker
 * whose measurement in flight takes far longer than its usual (it runs at
 * the lowest priority and has lost its core). Either way the snapshot it
 * was to measure (and the run's first, when the worker never answered it)
 * is measured on the training thread at the run's end —
 * with that step's weights, not the final ones, which are put back after —
 * and the worker is not waited for (in Node; a page waits, where measuring
 * on its thread would block it). The worker is real; the tests hold back
 * its 'ready', or its measurements past the first two (or all of them),
 * which makes each case certain on any machine.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerMeasurement, MeasurementEvent } from '@gradscope/protocol';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { measureModel } from '../measure-model.js';
import { nodePlatform } from '../platform/node/node-platform.js';
import { installPlatform } from '../platform/platform.js';
import { useTestBackend } from '../test-helpers/backend.js';
import { worstRelative } from '../test-helpers/records.js';
import { ofType, readRuns, tempLogdirsPerTest } from '../test-helpers/runs.js';
import { watchWorker } from '../test-helpers/worker-answered.js';
import { data, rnn } from '../test-helpers/worker-models.js';
import { gradscope } from './monitor.js';
import { MAX_UNANSWERED } from './worker-measurer.js';
import { measureWorkersLeft } from '../test-helpers/measure-workers-left.js';

beforeAll(async () => {
  await useTestBackend();
});

afterEach(() => installPlatform(nodePlatform));

const logdir = tempLogdirsPerTest();

/** A record's layers without their names (the twin's layers are named apart). */
const unnamed = (layers: LayerMeasurement[]) => layers.map(({ layer: _name, ...rest }) => rest);
/** Only their numbers (the words of a diagnosis differ as soon as its figures do). */
const numbers = (layers: LayerMeasurement[]) => unnamed(layers).map(({ diagnosis: _d, regime: _r, ...rest }) => rest);

/**
 * Trains `steps` steps of a small model with the monitor (every step due)
 * and `extra` callbacks after it, or fewer when `stopWhen` says so; returns the run's events, the weights at
 * the end of every step (taken by a callback after the monitor's, so a
 * step's snapshot and its entry hold the same values), the model's weights
 * after fit, and the tensors the run added besides the optimizer's slots
 * and those copies (expected 0).
 */
async function monitoredRun(steps: number, extra: tf.CustomCallback[], stopWhen: () => boolean = () => false) {
  const model = rnn();
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
  const { xs, ys } = data(4 * steps);
  const probe = { xs: xs.slice(0, 4), ys: ys.slice(0, 4) };
  const atStepEnd: tf.Tensor[][] = [];
  const capture = new tf.CustomCallback({
    onBatchEnd: async () => {
      atStepEnd.push(model.getWeights().map((w) => w.clone()));
      if (stopWhen()) model.stopTraining = true;
      else await new Promise((resolve) => setTimeout(resolve, 2)); // the worker's replies are read between steps
    },
  });
  const dir = logdir();
  const before = tf.memory().numTensors;
  const monitor = gradscope({ probe, logdir: dir, console: false, serve: false, every: 1, budget: 1000 });
  await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor, ...extra, capture], verbose: 0 });
  await monitor.close();
  const final = model.getWeights();
  const optimizerSlots = 2 * final.length; // Adam: two moments per weight (its beta powers came with the optimizer)
  const leaked = tf.memory().numTensors - before - optimizerSlots - atStepEnd.flat().length;
  const events = readRuns(dir).get(monitor.runId!)!;
  return { model, probe, events, atStepEnd, final, leaked, dispose: () => tf.dispose([xs, ys, probe.xs, probe.ys, ...atStepEnd.flat()]) };
}

/** The thread's record of a snapshot is what that step's weights measure to (and, before the last step, not what the final weights do). */
async function expectMeasuredAt(run: Awaited<ReturnType<typeof monitoredRun>>, record: MeasurementEvent): Promise<void> {
  const twin = rnn();
  twin.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  // The run's gradient norms up to that step go into the diagnosis (from its train-step events; the alert detector keeps the last 50).
  const gradNormHistory = ofType(run.events, 'train-step')
    .filter((e) => e.step <= record.step)
    .map((e) => e.gradNormBefore!)
    .slice(-50);
  twin.setWeights(run.atStepEnd[record.step]!);
  expect(worstRelative(unnamed(record.layers), unnamed(await measureModel(twin, run.probe, { gradNormHistory }))).diff).toBeLessThan(1e-5);
  if (record.step < run.atStepEnd.length - 1) {
    twin.setWeights(run.final);
    expect(worstRelative(numbers(record.layers), numbers(await measureModel(twin, run.probe, { gradNormHistory }))).diff).toBeGreaterThan(1e-3);
  }
  twin.dispose();
}

async function expectCleanEnd(run: Awaited<ReturnType<typeof monitoredRun>>, steps: number, measurements: number): Promise<void> {
  expect(await measureWorkersLeft()).toBe(0);
  expect(run.events.at(-1)!.type).toBe('run-end');
  expect(ofType(run.events, 'run-end')[0]!.totals).toMatchObject({ steps, measurements });
  expect(ofType(run.events, 'alert').filter((a) => a.kind === 'measured-on-thread' || a.kind === 'measurement-error')).toEqual([]);
  // The run ends with its own final weights, bit for bit, and leaves no tensor behind.
  expect(run.final.map((w) => Array.from(w.dataSync()))).toEqual(run.atStepEnd[steps - 1]!.map((w) => Array.from(w.dataSync())));
  expect(run.leaked).toBe(0);
}

describe('the end of a run measured in a worker', () => {
  it("before the worker has started: measures the first step's snapshot on the thread, with the first step's weights", async () => {
    const worker = watchWorker({ withholdReady: true });
    const run = await monitoredRun(2, []);
    expect(worker.started()).toBe(true);
    const measured = ofType(run.events, 'measurement');
    expect(measured.map((m) => [m.step, m.measuredIn])).toEqual([[0, 'thread']]);
    await expectMeasuredAt(run, measured[0]!);
    await expectCleanEnd(run, 2, 1);
    run.dispose();
  });

  it('with the newest snapshot unanswered far past the worker\'s usual time: measures it on the thread, at its step', async () => {
    // After its first two measurements the worker's replies never arrive; training stops at the third.
    const worker = watchWorker({ passMeasured: 2 });
    const run = await monitoredRun(5000, [worker.holdFirstStep], () => worker.measured() >= 3);
    const steps = ofType(run.events, 'train-step').length;
    expect(steps).toBeLessThan(5000);
    const measured = ofType(run.events, 'measurement');
    // Two from the worker, then the newest snapshot posted, measured on the thread at the run's end: the last
    // step's when fewer than MAX_UNANSWERED were unanswered then (one is posted at every due step until they are).
    expect(measured.map((m) => m.measuredIn)).toEqual(['worker', 'worker', 'thread']);
    const [first, second, last] = measured.map((m) => m.step);
    expect(first).toBe(0);
    expect(second! > first!).toBe(true);
    expect(last).toBe(worker.lastPosted());
    expect(last! > second!).toBe(true);
    await expectMeasuredAt(run, measured[0]!);
    await expectMeasuredAt(run, measured[2]!);
    await expectCleanEnd(run, steps, 3);
    run.dispose();
  });

  it('with no measurement finished yet: measures the first step\'s snapshot and the newest on the thread after 2 s', async () => {
    const worker = watchWorker({ passMeasured: 0 });
    let after = 0;
    const run = await monitoredRun(5000, [worker.holdFirstStep], () => worker.posted() >= 1 && ++after > 3);
    const steps = ofType(run.events, 'train-step').length;
    const measured = ofType(run.events, 'measurement');
    // No measurement answered: snapshots stop at MAX_UNANSWERED unanswered, and the newest of them is
    // measured. A snapshot the worker skipped for a newer one is answered ('skipped'), and frees its slot:
    // whether it skips one depends on when it reads its channel (on a busy machine, 4 were posted).
    expect(worker.posted() - worker.skipped()).toBeLessThanOrEqual(MAX_UNANSWERED);
    // The run's first step is measured whatever happens to the worker: its snapshot too is left to the thread.
    expect(worker.lastPosted()).toBeGreaterThan(0);
    expect(worker.lastPosted()).toBeLessThan(steps);
    expect(measured.map((m) => [m.step, m.measuredIn])).toEqual([
      [0, 'thread'],
      [worker.lastPosted(), 'thread'],
    ]);
    await expectMeasuredAt(run, measured[0]!);
    await expectMeasuredAt(run, measured[1]!);
    await expectCleanEnd(run, steps, 2);
    run.dispose();
  });
});
