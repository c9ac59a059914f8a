/**
 * A monitored run of a small model measured in a worker, every step due,
 * with the weights at the end of every step kept, and what to check of its
 * records: that a measurement is what its step's weights measure to, and
 * that the run ended cleanly (no worker left, no tensor, its final weights).
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerMeasurement, MeasurementEvent } from '@gradscope/protocol';
import { expect } from 'vitest';
import { measureModel } from '../measure-model.js';
import { gradscope, type GradscopeMonitor } from '../monitor/monitor.js';
import { measureWorkersLeft } from './measure-workers-left.js';
import { worstRelative } from './records.js';
import { ofType, readRuns } from './runs.js';
import { data, rnn } from './worker-models.js';

/** A record's layers without their names (the twin's layers are named apart). */
const unnamed = (layers: LayerMeasurement[]) => layers.map(({ layer: _name, ...rest }) => rest);
/** Only their numbers (the words of a diagnosis differ as soon as its figures do). */
const numbers = (layers: LayerMeasurement[]) => unnamed(layers).map(({ diagnosis: _d, regime: _r, ...rest }) => rest);

/**
 * Trains (logging to `dir`) `steps` steps of a small model with the monitor (every step due)
 * and `extra` callbacks after it (or those made for the monitor), or fewer when `stopWhen` says so; returns the run's events, the weights at
 * the end of every step (taken by a callback after the monitor's, so a
 * step's snapshot and its entry hold the same values), the model's weights
 * after fit, and the tensors the run added besides the optimizer's slots
 * and those copies (expected 0).
 */
export async function monitoredRun(dir: string, steps: number, extra: tf.CustomCallback[] | ((monitor: GradscopeMonitor) => tf.CustomCallback[]), stopWhen: () => boolean = () => false) {
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
  const before = tf.memory().numTensors;
  const monitor = gradscope({ probe, logdir: dir, console: false, serve: false, every: 1, budget: 1000 });
  await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor, ...(typeof extra === 'function' ? extra(monitor) : extra), capture], verbose: 0 });
  await monitor.close();
  const final = model.getWeights();
  const optimizerSlots = 2 * final.length; // Adam: two moments per weight (its beta powers came with the optimizer)
  const leaked = tf.memory().numTensors - before - optimizerSlots - atStepEnd.flat().length;
  const events = readRuns(dir).get(monitor.runId!)!;
  return { model, probe, events, atStepEnd, final, leaked, dispose: () => tf.dispose([xs, ys, probe.xs, probe.ys, ...atStepEnd.flat()]) };
}

/** The thread's record of a snapshot is what that step's weights measure to (and, before the last step, not what the final weights do). */
export async function expectMeasuredAt(run: Awaited<ReturnType<typeof monitoredRun>>, record: MeasurementEvent): Promise<void> {
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

export async function expectCleanEnd(run: Awaited<ReturnType<typeof monitoredRun>>, steps: number, measurements: number): Promise<void> {
  expect(await measureWorkersLeft()).toBe(0);
  expect(run.events.at(-1)!.type).toBe('run-end');
  expect(ofType(run.events, 'run-end')[0]!.totals).toMatchObject({ steps, measurements });
  expect(ofType(run.events, 'alert').filter((a) => a.kind === 'measured-on-thread' || a.kind === 'measurement-error')).toEqual([]);
  // The run ends with its own final weights, bit for bit, and leaves no tensor behind.
  expect(run.final.map((w) => Array.from(w.dataSync()))).toEqual(run.atStepEnd[steps - 1]!.map((w) => Array.from(w.dataSync())));
  expect(run.leaked).toBe(0);
}
