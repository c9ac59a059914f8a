/**
 * gradscope() measuring in a real worker_threads worker (the default):
 * the events a run records, the newest-snapshot policy, the fallbacks to
 * the training thread (a custom layer, a loss function), and the worker
 * ending with the run.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MeasureWorkerLink } from '../measure-worker/link.js';
import { liveMeasureWorkers, startNodeMeasureWorker } from '../platform/node/node-measure-worker.js';
import { nodePlatform } from '../platform/node/node-platform.js';
import { installPlatform } from '../platform/platform.js';
import { useTestBackend } from '../test-helpers/backend.js';
import { ofType, readRuns, tempLogdir } from '../test-helpers/runs.js';
import { gradscope } from './monitor.js';

beforeAll(async () => {
  await useTestBackend();
});

let cleanup: (() => void)[] = [];
afterEach(() => {
  cleanup.forEach((f) => f());
  cleanup = [];
});
function logdir(): string {
  const d = tempLogdir();
  cleanup.push(d.remove);
  return d.dir;
}

const T = 10;
function data(samples: number) {
  const xs = tf.randomNormal([samples, T, 2], 0, 1, 'float32', 4);
  const ys = tf.sum(xs.slice([0, 0, 0], [-1, 3, 1]), 1);
  return { xs, ys };
}

/** A layer the training thread knows and the worker's tfjs does not. */
class Doubling extends tf.layers.Layer {
  static className = 'Doubling';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.mul(Array.isArray(inputs) ? inputs[0]! : inputs, 2);
  }
}
tf.serialization.registerClass(Doubling);

function rnn(options: { custom?: boolean } = {}): tf.Sequential {
  const model = tf.sequential();
  if (options.custom) model.add(new Doubling({ inputShape: [T, 2] }));
  model.add(tf.layers.gru({ units: 6, ...(options.custom ? {} : { inputShape: [T, 2] }), returnSequences: true }));
  model.add(tf.layers.simpleRNN({ units: 5 }));
  model.add(tf.layers.dense({ units: 1 }));
  return model;
}

describe('gradscope() measuring in a worker', () => {
  it('records worker measurements at the steps of their snapshots, in increasing order, and ends the worker with the run', async () => {
    const dir = logdir();
    const model = rnn();
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(40);
    const monitor = gradscope({ probe: { xs: xs.slice(0, 4), ys: ys.slice(0, 4) }, logdir: dir, console: false, every: 3, budget: 1000 });
    await model.fit(xs, ys, { epochs: 2, batchSize: 4, callbacks: [monitor], verbose: 0 });
    expect(liveMeasureWorkers()).toBe(0);
    const events = readRuns(dir).get(monitor.runId!)!;
    const steps = ofType(events, 'train-step').map((e) => e.step);
    const measured = ofType(events, 'measurement');
    expect(measured.length).toBeGreaterThanOrEqual(1);
    expect(measured.every((m) => m.measuredIn === 'worker')).toBe(true);
    expect(measured[0]!.step).toBe(0); // the first step is always measured
    const at = measured.map((m) => m.step);
    // Each belongs to a training step, at least `every` apart; never a step twice.
    expect(at.every((s) => steps.includes(s))).toBe(true);
    expect(at.slice(1).every((s, i) => s - at[i]! >= 3)).toBe(true);
    expect(measured.every((m) => m.layers.map((l) => l.kind).join() === 'gru,simpleRNN')).toBe(true);
    expect(ofType(events, 'alert').filter((a) => a.kind === 'measured-on-thread')).toEqual([]);
    // The in-flight measurement landed before run-end.
    expect(events.at(-1)!.type).toBe('run-end');
    expect(ofType(events, 'run-end')[0]!.totals.measurements).toBe(measured.length);
    tf.dispose([xs, ys]);
  });

  it('rebuilds a functional model with Bidirectional and stacked cells in the worker: one record per cell', async () => {
    const dir = logdir();
    const input = tf.input({ shape: [T, 2] });
    const bidi = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 4, returnSequences: true }) as never, name: 'bidi' }).apply(input);
    const stacked = tf.layers.rnn({ cell: [tf.layers.gruCell({ units: 3 }), tf.layers.simpleRNNCell({ units: 5 })], name: 'stack' }).apply(bidi as tf.SymbolicTensor);
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1 }).apply(stacked as tf.SymbolicTensor) as tf.SymbolicTensor });
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(8);
    const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: dir, console: false });
    await model.fit(xs, ys, { epochs: 1, batchSize: 8, callbacks: [monitor], verbose: 0 });
    const measured = ofType(readRuns(dir).get(monitor.runId!)!, 'measurement');
    expect(measured.map((m) => [m.measuredIn, m.layers.map((l) => `${l.layer}:${l.kind}`)])).toEqual([
      ['worker', ['bidi/forward:lstm', 'bidi/backward:lstm', 'stack/cell_0:gru', 'stack/cell_1:simpleRNN']],
    ]);
    tf.dispose([xs, ys]);
  });

  it('measures the newest snapshot when the worker is free and skips the steps in between (no queue)', async () => {
    const dir = logdir();
    const model = rnn();
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(8);
    const monitor = gradscope({ probe: { xs, ys }, logdir: dir, console: false, every: 1, budget: 1000 });
    // Steps with no training in between take microseconds, a measurement milliseconds: most steps find the worker busy.
    for (let i = 0; i < 40; i++) await monitor.step(model, { loss: 1 });
    await monitor.close();
    const events = readRuns(dir).get(monitor.runId!)!;
    const at = ofType(events, 'measurement').map((m) => m.step);
    expect(at[0]).toBe(0);
    expect(at.length).toBeLessThan(40);
    expect(at.slice(1).every((s, i) => s > at[i]!)).toBe(true);
    expect(liveMeasureWorkers()).toBe(0);
    tf.dispose([xs, ys]);
  });

  it('measures NaN weights (a record with NaN in it, no error) and training goes on', async () => {
    const dir = logdir();
    const model = rnn();
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const gru = model.layers[0]!;
    const nan = gru.getWeights().map((w) => tf.fill(w.shape, NaN));
    gru.setWeights(nan);
    tf.dispose(nan);
    const { xs, ys } = data(24);
    const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: dir, console: false, every: 1, budget: 1000 });
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor], verbose: 0 });
    const events = readRuns(dir).get(monitor.runId!)!;
    expect(ofType(events, 'train-step').length).toBe(6);
    expect(Number.isNaN(ofType(events, 'train-step').at(-1)!.loss)).toBe(true);
    const measured = ofType(events, 'measurement');
    expect(measured.length).toBeGreaterThanOrEqual(1);
    expect(measured.every((m) => m.measuredIn === 'worker' && m.layers.length === 2)).toBe(true);
    expect(measured.every((m) => m.layers[0]!.stepNorm.mean.some(Number.isNaN))).toBe(true);
    expect(ofType(events, 'alert').filter((a) => a.kind === 'measurement-error' || a.kind === 'measured-on-thread')).toEqual([]);
    tf.dispose([xs, ys]);
  });

  it('with worker: false measures on the training thread and starts no worker', async () => {
    const dir = logdir();
    const model = rnn();
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(8);
    const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: dir, console: false, every: 1, budget: 1000, worker: false });
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor], verbose: 0 });
    const measured = ofType(readRuns(dir).get(monitor.runId!)!, 'measurement');
    expect(measured.map((m) => [m.step, m.measuredIn])).toEqual([
      [0, 'thread'],
      [1, 'thread'],
    ]);
    tf.dispose([xs, ys]);
  });

  it('rejects a worker option that is not a boolean, naming it', () => {
    expect(() => gradscope({ worker: 'no' } as never)).toThrow(/option 'worker' must be true or false, got 'no'/);
  });
});

describe('gradscope() falling back to the training thread', () => {
  async function fallback(model: tf.LayersModel): Promise<{ alerts: string[]; warnings: string[]; measuredIn: (string | undefined)[] }> {
    const dir = logdir();
    const { xs, ys } = data(8);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: dir, console: false, every: 1, budget: 1000 });
      await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor], verbose: 0 });
      const events = readRuns(dir).get(monitor.runId!)!;
      return {
        alerts: ofType(events, 'alert').filter((a) => a.kind === 'measured-on-thread').map((a) => a.message),
        warnings: warn.mock.calls.map((c) => String(c[0])),
        measuredIn: ofType(events, 'measurement').map((m) => m.measuredIn),
      };
    } finally {
      warn.mockRestore();
      tf.dispose([xs, ys]);
    }
  }

  it('for a custom layer the worker cannot rebuild: says so once, naming the layer, and measures every step on the thread', async () => {
    const model = rnn({ custom: true });
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { alerts, warnings, measuredIn } = await fallback(model);
    expect(alerts.length).toBe(1);
    expect(alerts[0]).toMatch(/measuring on the training thread, not in a worker: the worker could not rebuild the model \(.*Doubling.*\)\. Pass worker: false/);
    expect(warnings).toEqual([`gradscope: ${alerts[0]}`]);
    expect(measuredIn).toEqual(['thread', 'thread']);
    expect(liveMeasureWorkers()).toBe(0);
  });

  it('for a loss function: says so once, naming the reason, and measures on the thread', async () => {
    const model = rnn();
    model.compile({ optimizer: 'adam', loss: (y: tf.Tensor, p: tf.Tensor) => tf.losses.meanSquaredError(y, p) });
    const { alerts, warnings, measuredIn } = await fallback(model);
    expect(alerts).toEqual([expect.stringContaining("the model's loss is a function, which a worker cannot rebuild")]);
    expect(warnings.length).toBe(1);
    expect(measuredIn).toEqual(['thread', 'thread']);
  });

  it('when the worker dies mid-run: says so once, with its error, and measures on the thread from then on', async () => {
    // The real worker, ended by the test after a few steps; the link reports what a crash reports.
    let kill: () => Promise<void> = async () => {};
    installPlatform({
      ...nodePlatform,
      async startMeasureWorker(): Promise<MeasureWorkerLink> {
        const real = await startNodeMeasureWorker();
        let died: Error | null = null;
        kill = async () => {
          await real.terminate();
          died = new Error('killed by the test');
        };
        return { backend: real.backend, post: (m, t) => real.post(m, t), poll: () => real.poll(), terminate: () => real.terminate(), get died() { return died; } };
      },
    });
    try {
      const dir = logdir();
      const model = rnn();
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      const { xs, ys } = data(8);
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const monitor = gradscope({ probe: { xs, ys }, logdir: dir, console: false, every: 1, budget: 1000 });
      for (let i = 0; i < 12; i++) {
        if (i === 4) await kill();
        await monitor.step(model, { loss: 1 });
      }
      await monitor.close();
      const warnings = warn.mock.calls.map((c) => String(c[0]));
      warn.mockRestore();
      const events = readRuns(dir).get(monitor.runId!)!;
      const alerts = ofType(events, 'alert').filter((a) => a.kind === 'measured-on-thread');
      expect(alerts.map((a) => a.message)).toEqual([expect.stringContaining('the worker stopped: killed by the test')]);
      expect(warnings).toEqual([`gradscope: ${alerts[0]!.message}`]);
      const measured = ofType(events, 'measurement');
      // Before it, what the worker measured (its measurement in flight at the kill is lost, and the machine's load decides whether there was one).
      expect(measured.filter((m) => m.seq < alerts[0]!.seq).every((m) => m.measuredIn === 'worker')).toBe(true);
      // From the alert on, every step is measured on the thread.
      const after = measured.filter((m) => m.seq > alerts[0]!.seq);
      expect(after.map((m) => m.measuredIn)).toEqual(after.map(() => 'thread'));
      expect(after.map((m) => m.step)).toEqual(Array.from({ length: 12 - after[0]!.step }, (_, i) => after[0]!.step + i));
      tf.dispose([xs, ys]);
    } finally {
      installPlatform(nodePlatform);
    }
  });

  it('a custom loop that never closes its monitor still exits: the worker does not keep the process alive', async () => {
    const dir = logdir();
    const script = `
      import * as tf from '@tensorflow/tfjs';
      import { gradscope, useBestBackend } from './dist/node.js';
      await useBestBackend({ log: () => {} });
      const xs = tf.randomNormal([8, 5, 2]), ys = tf.randomNormal([8, 1]);
      const model = tf.sequential({ layers: [tf.layers.gru({ units: 3, inputShape: [5, 2] }), tf.layers.dense({ units: 1 })] });
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      const monitor = gradscope({ probe: { xs, ys }, logdir: ${JSON.stringify(dir)}, console: false, serve: false, every: 1 });
      for (let i = 0; i < 5; i++) await monitor.step(model, { loss: await model.trainOnBatch(xs, ys) });
      console.log('trained');
    `;
    const cwd = fileURLToPath(new URL('../..', import.meta.url));
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { cwd }, (err, out) => (err ? reject(err) : resolve(out))),
    );
    expect(stdout).toContain('trained');
  });

  it('with one core available: no worker (it would take its time from training), said once', async () => {
    await expect(startNodeMeasureWorker(1)).rejects.toThrow('this process may use 1 CPU core, and a worker would take its time from training');
  });

  // The real thing: a process pinned to one core (taskset), where Node reports one available core.
  it.runIf(existsSync('/usr/bin/taskset'))('in a process pinned to one core with taskset, measures on the training thread and says why', async () => {
    const dir = logdir();
    const script = `
      import * as tf from '@tensorflow/tfjs';
      import { gradscope, useBestBackend } from './dist/node.js';
      await useBestBackend({ log: () => {} });
      const xs = tf.randomNormal([8, 5, 2]), ys = tf.randomNormal([8, 1]);
      const model = tf.sequential({ layers: [tf.layers.gru({ units: 3, inputShape: [5, 2] }), tf.layers.dense({ units: 1 })] });
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      await model.fit(xs, ys, { epochs: 1, batchSize: 4, verbose: 0, callbacks: [gradscope({ probe: { xs, ys }, logdir: ${JSON.stringify(dir)}, console: false, serve: false })] });
    `;
    const cwd = fileURLToPath(new URL('../..', import.meta.url));
    const stderr = await new Promise<string>((resolve, reject) =>
      execFile('taskset', ['-c', '0', process.execPath, '--input-type=module', '-e', script], { cwd }, (err, _out, errText) => (err ? reject(err) : resolve(errText))),
    );
    const events = [...readRuns(dir).values()][0]!;
    const alerts = ofType(events, 'alert').filter((a) => a.kind === 'measured-on-thread');
    expect(alerts.map((a) => a.message)).toEqual([expect.stringContaining('this process may use 1 CPU core, and a worker would take its time from training')]);
    expect(stderr).toContain(alerts[0]!.message);
    expect(ofType(events, 'measurement').every((m) => m.measuredIn === 'thread')).toBe(true);
  });
});
