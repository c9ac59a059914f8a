/**
 * gradscope() measuring in a real worker (in Node a child process; the default): the
 * events a run records, the newest-snapshot policy, NaN weights, and the
 * worker ending with the run. The fallbacks: worker-fallback.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodePlatform } from '../platform/node/node-platform.js';
import { installPlatform } from '../platform/platform.js';
import { useTestBackend } from '../test-helpers/backend.js';
import { runModuleScript, tinyGruScript } from '../test-helpers/module-script.js';
import { ofType, readRuns, tempLogdirsPerTest } from '../test-helpers/runs.js';
import { holdFirstStepForWorker, watchWorker } from '../test-helpers/worker-answered.js';
import { T, data, rnn } from '../test-helpers/worker-models.js';
import { gradscope } from './monitor.js';
import { measureWorkersLeft } from '../test-helpers/measure-workers-left.js';

beforeAll(async () => {
  await useTestBackend();
});

// Short runs hold their first step until the worker has started, and the next until it has measured (see holdFirstStepForWorker).
afterEach(() => installPlatform(nodePlatform));

const logdir = tempLogdirsPerTest();

describe('gradscope() measuring in a worker', () => {
  it('records worker measurements at the steps of their snapshots, in increasing order, and ends the worker with the run', async () => {
    const dir = logdir();
    const model = rnn();
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(40);
    const monitor = gradscope({ probe: { xs: xs.slice(0, 4), ys: ys.slice(0, 4) }, logdir: dir, console: false, every: 3, budget: 1000 });
    await model.fit(xs, ys, { epochs: 2, batchSize: 4, callbacks: [monitor, holdFirstStepForWorker({ untilMeasured: 1 })], verbose: 0 });
    expect(await measureWorkersLeft()).toBe(0);
    const events = readRuns(dir).get(monitor.runId!)!;
    const steps = ofType(events, 'train-step').map((e) => e.step);
    const measured = ofType(events, 'measurement');
    expect(measured.length).toBeGreaterThanOrEqual(1);
    // In the worker; the last may have been taken over by the thread at the run's end (a worker far slower than its usual).
    expect(measured.slice(0, -1).every((m) => m.measuredIn === 'worker')).toBe(true);
    expect(['worker', 'thread']).toContain(measured.at(-1)!.measuredIn);
    expect(measured[0]!.measuredIn).toBe('worker');
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
    // Two steps: the first step's snapshot goes to the worker at the second, which waits for its measurement.
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor, holdFirstStepForWorker({ untilMeasured: 1 })], verbose: 0 });
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
    expect(await measureWorkersLeft()).toBe(0);
    tf.dispose([xs, ys]);
  });

  /** The test model, compiled, with every weight of its first recurrent layer NaN. */
  function nanModel(): tf.LayersModel {
    const model = rnn();
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const gru = model.layers[0]!;
    const nan = gru.getWeights().map((w) => tf.fill(w.shape, NaN));
    gru.setWeights(nan);
    tf.dispose(nan);
    return model;
  }

  it('measures NaN weights (a record with NaN in it, no error) and training goes on', async () => {
    const dir = logdir();
    const model = nanModel();
    const { xs, ys } = data(24);
    const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: dir, console: false, every: 1, budget: 1000 });
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor, holdFirstStepForWorker({ untilMeasured: 1 })], verbose: 0 });
    const events = readRuns(dir).get(monitor.runId!)!;
    expect(ofType(events, 'train-step').length).toBe(6);
    expect(Number.isNaN(ofType(events, 'train-step').at(-1)!.loss)).toBe(true);
    const measured = ofType(events, 'measurement');
    expect(measured.length).toBeGreaterThanOrEqual(1);
    expect(measured[0]!.measuredIn).toBe('worker');
    expect(measured.slice(0, -1).every((m) => m.measuredIn === 'worker' && m.layers.length === 2)).toBe(true);
    expect(measured.at(-1)!.layers.length).toBe(2);
    expect(measured.every((m) => m.layers[0]!.stepNorm.mean.some(Number.isNaN))).toBe(true);
    expect(ofType(events, 'alert').filter((a) => a.kind === 'measurement-error' || a.kind === 'measured-on-thread')).toEqual([]);
    tf.dispose([xs, ys]);
  });

  it.each([true, false])('with stopOnNaN, a NaN measurement does not suggest stopOnNaN (worker: %s)', async (worker) => {
    const dir = logdir();
    const model = nanModel();
    const { xs, ys } = data(2);
    const watch = watchWorker();
    const monitor = gradscope({ probe: { xs, ys }, logdir: dir, console: false, every: 1, budget: 1000, stopOnNaN: true, worker });
    // A custom loop reporting a finite loss, so that stopOnNaN does not end the run at its first step: in a
    // fit() it would, and on a busy machine the run's end then measured the step's snapshot on the thread.
    const until = Date.now() + 60_000;
    let steps = 0;
    do {
      await monitor.step(model, { loss: 0 }, 1);
      steps++;
      if (worker) await new Promise((resolve) => setTimeout(resolve, 20));
    } while (worker ? watch.measured() < 1 && Date.now() < until : steps < 2);
    await monitor.close();
    const measured = ofType(readRuns(dir).get(monitor.runId!)!, 'measurement');
    expect(measured.map((m) => m.measuredIn)).toContain(worker ? 'worker' : 'thread');
    for (const m of measured) {
      const diagnosis = m.layers[0]!.diagnosis!;
      expect(diagnosis.verdict).toBe('non-finite');
      // The other remedies of a non-finite layer stay (clipping, a lower learning rate).
      expect(diagnosis.remedies[0]!.action).toContain('withClipping');
      expect(diagnosis.remedies.at(-1)!.action).toContain('learning rate');
      expect(diagnosis.remedies.some((r) => r.action.includes('stopOnNaN'))).toBe(false);
    }
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

  it('a custom loop that never closes its monitor still exits: the worker does not keep the process alive', async () => {
    const dir = logdir();
    const script = tinyGruScript(`
      const monitor = gradscope({ probe: { xs, ys }, logdir: ${JSON.stringify(dir)}, console: false, serve: false, every: 1 });
      for (let i = 0; i < 5; i++) await monitor.step(model, { loss: await model.trainOnBatch(xs, ys) });
      console.log('trained');
    `);
    const { stdout } = await runModuleScript(script);
    expect(stdout).toContain('trained');
  });

  it('a script that ends while its worker measures prints nothing more: the worker’s last reply is dropped, not an error', async () => {
    // 200 steps or more (until the worker has measured) of a custom loop that never closes its monitor, on the
    // cpu backend, where a measurement never yields to the worker's event loop: the worker, measuring when the
    // script ends, replies before it has seen its channel close. Its stderr is the script's (inherited), and the script's output is collected until the
    // worker has exited too (it holds the pipe): a reply it failed to send would print a stack trace there.
    const dir = logdir();
    const script = `
      import * as tf from '@tensorflow/tfjs';
      import { gradscope } from './dist/node.js';
      await tf.setBackend('cpu');
      const model = tf.sequential({ layers: [tf.layers.lstm({ units: 8, inputShape: [10, 2], recurrentInitializer: 'glorotNormal' }), tf.layers.dense({ units: 1 })] });
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      const xs = tf.randomNormal([4, 10, 2]), ys = tf.randomNormal([4, 1]);
      const monitor = gradscope({ probe: { xs, ys }, logdir: ${JSON.stringify(dir)}, console: false, serve: false, every: 1, budget: 1000 });
      // Until the worker has measured (the run's file is written at least once a second; at most 60 s), then on.
      const { readdirSync, readFileSync } = await import('node:fs');
      const inWorker = () => readdirSync(${JSON.stringify(dir)}).some((run) => readFileSync(${JSON.stringify(dir)} + '/' + run + '/events.jsonl', 'utf8').includes('"measuredIn":"worker"'));
      const deadline = Date.now() + 60_000;
      for (let i = 0; i < 200 || (Date.now() < deadline && (i % 20 !== 0 || !inWorker())); i++) await monitor.step(model, { loss: await model.trainOnBatch(xs, ys) });
      console.log('trained');
    `;
    const { stdout, stderr } = await runModuleScript(script);
    expect(stdout).toContain('trained');
    expect(stderr).not.toMatch(/EPIPE|Error|ERR_/);
    const [events] = [...readRuns(dir).values()];
    const measuredIn = ofType(events!, 'measurement').map((e) => e.measuredIn);
    expect(measuredIn).toContain('worker'); // it did measure (and was measuring when the script ended)
  });
});
