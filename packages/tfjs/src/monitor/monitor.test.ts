import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestBackend } from '../test-helpers/backend.js';
import { ofType, readRuns, tempLogdirsPerTest } from '../test-helpers/runs.js';
import { withClipping } from '../with-clipping.js';
import { gradscope } from './monitor.js';

beforeAll(async () => {
  await useTestBackend();
});

const logdir = tempLogdirsPerTest();

const T = 12;
function lstmAndSimpleRNN(): tf.Sequential {
  const model = tf.sequential({ name: 'twolayer' });
  model.add(tf.layers.lstm({ units: 8, inputShape: [T, 2], returnSequences: true }));
  model.add(tf.layers.simpleRNN({ units: 6 }));
  model.add(tf.layers.dense({ units: 1 }));
  return model;
}
function data(samples = 32, seed = 1) {
  const xs = tf.randomNormal([samples, T, 2], 0, 1, 'float32', seed);
  const ys = tf.sum(xs.slice([0, 0, 0], [-1, 3, 1]), 1);
  return { xs, ys };
}

describe('gradscope() in model.fit', () => {
  it('writes a complete, schema-valid run with a measurement record for every recurrent layer and every clip', async () => {
    const dir = logdir();
    const model = lstmAndSimpleRNN();
    model.compile({ optimizer: withClipping(tf.train.adam(0.01), { globalClipNorm: 0.05 }), loss: 'meanSquaredError', metrics: ['mae'] });
    const { xs, ys } = data();
    const monitor = gradscope({ probe: { xs: xs.slice(0, 4), ys: ys.slice(0, 4) }, logdir: dir, console: false, every: 2, budget: 1000, worker: false });
    await model.fit(xs, ys, { epochs: 2, batchSize: 8, callbacks: [monitor], verbose: 0 });
    const runs = readRuns(dir);
    expect([...runs.keys()]).toEqual([monitor.runId]);
    const events = runs.get(monitor.runId!)!;
    // Envelope: gap-free seq, non-decreasing step, one run id.
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(events.every((e) => e.runId === monitor.runId)).toBe(true);
    expect(events[0]!.type).toBe('run-start');
    expect(events.at(-1)!.type).toBe('run-end');
    const start = ofType(events, 'run-start')[0]!;
    expect(start.model.layers.map((l) => [l.kind, l.units, l.stateSize, l.sequenceLength])).toEqual([
      ['lstm', 8, 16, T],
      ['simpleRNN', 6, 6, T],
    ]);
    expect(start.backend).toBe(tf.getBackend());
    const steps = ofType(events, 'train-step');
    expect(steps.map((s) => s.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(steps.map((s) => s.epoch)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    for (const s of steps) {
      expect(Number.isFinite(s.loss)).toBe(true);
      expect(s.metrics.mae).toBeGreaterThan(0);
      expect(s.gradNormAfter!).toBeLessThanOrEqual(0.05 + 1e-6);
      expect(s.gradNormBefore!).toBeGreaterThan(s.gradNormAfter! - 1e-9);
      expect(s.learningRate).toBe(0.01);
    }
    const clips = ofType(events, 'clip');
    expect(clips.length).toBe(steps.filter((s) => s.gradNormBefore! > 0.05).length);
    expect(clips[0]!.mode).toBe('globalClipNorm');
    expect(clips[0]!.variables.length).toBe(model.trainableWeights.length);
    const measurements = ofType(events, 'measurement');
    expect(measurements.map((m) => m.step)).toEqual([0, 2, 4, 6]);
    for (const m of measurements) {
      expect(m.layers.map((l) => l.kind)).toEqual(['lstm', 'simpleRNN']);
      for (const l of m.layers) {
        expect(l.stepNorm.mean.length).toBe(T);
        expect(l.gradNorm!.mean.length).toBe(T + 1);
        expect(l.samples).toBe(4);
      }
    }
    const end = ofType(events, 'run-end')[0]!;
    expect(end.status).toBe('completed');
    expect(end.totals).toMatchObject({ steps: 8, epochs: 2, measurements: 4, clips: clips.length });
    tf.dispose([xs, ys]);
  });

  it('stays within its budget by spacing measurements out', async () => {
    const dir = logdir();
    const model = lstmAndSimpleRNN();
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const { xs, ys } = data(64);
    const monitor = gradscope({ probe: { xs: xs.slice(0, 4), ys: ys.slice(0, 4) }, logdir: dir, console: false, every: 1, budget: 0.01 });
    await model.fit(xs, ys, { epochs: 1, batchSize: 2, callbacks: [monitor], verbose: 0 });
    const events = readRuns(dir).get(monitor.runId!)!;
    const measured = ofType(events, 'measurement').map((m) => m.step);
    // every = 1 alone would measure all 32 steps; a 1% budget allows only a few.
    expect(measured[0]).toBe(0);
    expect(measured.length).toBeLessThan(8);
    tf.dispose([xs, ys]);
  });

  it('is a clear error, before any training step, when the probe is missing or mis-shaped, or k exceeds a state', async () => {
    const model = lstmAndSimpleRNN();
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const { xs, ys } = data(8);
    const before = model.getWeights().map((w) => w.dataSync().slice());
    await expect(model.fit(xs, ys, { epochs: 1, callbacks: [gradscope({ logdir: false, console: false })], verbose: 0 })).rejects.toThrow(
      /option 'probe' is missing/,
    );
    const wrong = tf.zeros([4, T, 3]);
    await expect(model.fit(xs, ys, { epochs: 1, callbacks: [gradscope({ probe: { xs: wrong }, logdir: false, console: false })], verbose: 0 })).rejects.toThrow(
      /probe\.xs has shape \[4, 12, 3\] but the model expects \[null, 12, 2\]/,
    );
    // k above a measured cell's joint state (the SimpleRNN's 6; the LSTM's is 16): refused at the start,
    // not once per measurement for the whole run.
    await expect(model.fit(xs, ys, { epochs: 1, callbacks: [gradscope({ probe: { xs }, k: 7, logdir: false, console: false })], verbose: 0 })).rejects.toThrow(
      /gradscope: option 'k' must be at most the state size 6 of cell 'simple_rnn_\w+'.*got 7/,
    );
    // Nothing trained.
    model.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(before[i]!)));
    tf.dispose([xs, ys, wrong]);
  });

  it('rejects unknown or ill-typed options, naming them', () => {
    expect(() => gradscope({ evry: 5 } as any)).toThrow(/unknown option 'evry'/);
    expect(() => gradscope({ every: 0 })).toThrow(/option 'every' must be a positive integer, got 0/);
    expect(() => gradscope({ budget: -1 })).toThrow(/option 'budget' must be a positive fraction/);
    expect(() => gradscope({ logdir: 3 } as any)).toThrow(/option 'logdir' must be a folder path or false/);
    expect(() => gradscope({ url: 'http://x' })).toThrow(/option 'url' must be a websocket URL/);
    expect(() => gradscope({ stopOnNaN: 'yes' } as any)).toThrow(/option 'stopOnNaN' must be true or false, got 'yes'/);
  });

  it('reports an unwritable logdir at the start, naming it', async () => {
    const dir = logdir();
    const { writeFileSync } = await import('node:fs');
    const file = `${dir}/not-a-folder`;
    writeFileSync(file, 'x');
    const model = lstmAndSimpleRNN();
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const { xs, ys } = data(4);
    await expect(model.fit(xs, ys, { epochs: 1, callbacks: [gradscope({ probe: { xs, ys }, logdir: file, console: false })], verbose: 0 })).rejects.toThrow(
      /cannot write runs to logdir '.*not-a-folder'/,
    );
    // A folder under /proc, where Node's recursive mkdir never returned (fit() hung, a core busy): the same clear error.
    if (existsSync('/proc/self')) {
      await expect(model.fit(xs, ys, { epochs: 1, callbacks: [gradscope({ probe: { xs, ys }, logdir: '/proc/gradscope-nope', console: false })], verbose: 0 })).rejects.toThrow(
        /cannot write runs to logdir '\/proc\/gradscope-nope': ENOENT/,
      );
    }
    tf.dispose([xs, ys]);
  });
});

describe('gradscope() with NaN training and failing measurements', () => {
  it('reports NaN as an alert and keeps training; stopOnNaN stops it', async () => {
    for (const stopOnNaN of [false, true]) {
      const dir = logdir();
      const model = lstmAndSimpleRNN();
      model.compile({ optimizer: tf.train.sgd(1e30), loss: 'meanSquaredError' });
      const { xs, ys } = data(16);
      const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: dir, console: false, stopOnNaN, every: 1, budget: 1000 });
      await model.fit(xs, ys, { epochs: 2, batchSize: 4, callbacks: [monitor], verbose: 0 });
      const events = readRuns(dir).get(monitor.runId!)!;
      const steps = ofType(events, 'train-step');
      const nonFinite = ofType(events, 'alert').filter((a) => a.kind === 'non-finite');
      expect(nonFinite.length).toBeGreaterThan(0);
      const firstBad = steps.findIndex((s) => !Number.isFinite(s.loss!) || !Number.isFinite(s.gradNormBefore!));
      expect(firstBad).toBeGreaterThanOrEqual(0);
      const end = ofType(events, 'run-end')[0]!;
      if (stopOnNaN) {
        expect(end.status).toBe('stopped');
        expect(end.reason).toMatch(/stopOnNaN/);
        expect(steps.length).toBe(firstBad + 1);
      } else {
        expect(end.status).toBe('completed');
        expect(steps.length).toBe(8);
        // Measurements of a NaN model say so instead of dropping values.
        expect(ofType(events, 'measurement').at(-1)!.layers.some((l) => l.regime === 'non-finite')).toBe(true);
      }
      tf.dispose([xs, ys]);
    }
  });

  it('turns an exception inside a measurement into an alert and a one-line warning, once however often it repeats; training continues', async () => {
    const dir = logdir();
    const model = lstmAndSimpleRNN();
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const { xs, ys } = data(8);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    // The probe disposed by the user after the first step: the next measurement (on this thread) throws.
    const probe = { xs: xs.slice(0, 2), ys: ys.slice(0, 2) };
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    // The console sink on (the default): it prints alerts, but not this one, which the warning carries.
    const monitor = gradscope({ probe, logdir: dir, every: 1, budget: 1000, worker: false });
    const disposeProbe = new tf.CustomCallback({ onBatchEnd: async (batch) => void (batch === 0 && tf.dispose([probe.xs, probe.ys])) });
    await model.fit(xs, ys, { epochs: 1, batchSize: 2, callbacks: [monitor, disposeProbe], verbose: 0 });
    const events = readRuns(dir).get(monitor.runId!)!;
    expect(ofType(events, 'measurement').map((m) => m.step)).toEqual([0]);
    // Every later step's measurement fails the same way: an alert each, one warning.
    const errors = ofType(events, 'alert').filter((a) => a.kind === 'measurement-error');
    expect(errors.length).toBe(3);
    expect(errors[0]!.message).toMatch(/measuring the recurrent layers failed: .*disposed/);
    expect(ofType(events, 'train-step').length).toBe(4);
    expect(warn.mock.calls.map((c) => c[0])).toEqual([`gradscope: ${errors[0]!.message} (training continues)`]);
    expect(log.mock.calls.filter((c) => String(c[0]).includes('measuring the recurrent layers failed'))).toEqual([]);
    warn.mockRestore();
    log.mockRestore();
    tf.dispose([xs, ys]);
  });
});

describe('gradscope() in other training loops and models', () => {
  it('fitDataset with monitor.tap(dataset) capturing the first batch as the probe', async () => {
    const dir = logdir();
    const model = lstmAndSimpleRNN();
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(24);
    const dataset = tf.data.zip({ xs: tf.data.array(tf.unstack(xs)), ys: tf.data.array(tf.unstack(ys)) }).batch(6);
    const monitor = gradscope({ logdir: dir, console: false, every: 1, budget: 1000, worker: false });
    await model.fitDataset(monitor.tap(dataset as any), { epochs: 1, callbacks: [monitor], verbose: 0 });
    const events = readRuns(dir).get(monitor.runId!)!;
    expect(ofType(events, 'train-step').length).toBe(4);
    const m = ofType(events, 'measurement');
    expect(m.length).toBe(4);
    expect(m[0]!.layers[0]!.samples).toBe(6);
    expect(m[0]!.layers[0]!.gradNorm).not.toBeNull();
    await monitor.close();
    tf.dispose([xs, ys]);
  });

  it('custom loop: trainOnBatch with monitor.step(), and close()', async () => {
    const dir = logdir();
    const model = lstmAndSimpleRNN();
    model.compile({ optimizer: withClipping(tf.train.sgd(0.1), { clipNorm: 0.01 }), loss: 'meanSquaredError' });
    const { xs, ys } = data(8);
    const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: dir, console: false, every: 2, budget: 1000, worker: false });
    for (let i = 0; i < 5; i++) {
      const loss = (await model.trainOnBatch(xs, ys)) as number;
      await monitor.step(model, { loss });
    }
    await monitor.measure(model);
    await monitor.close();
    const events = readRuns(dir).get(monitor.runId!)!;
    expect(ofType(events, 'train-step').map((s) => s.loss! > 0)).toEqual([true, true, true, true, true]);
    expect(ofType(events, 'clip').every((c) => c.mode === 'clipNorm' && c.variables.length === 1)).toBe(true);
    expect(ofType(events, 'clip').length).toBeGreaterThan(0);
    // measure() after the loop's last step() holds step 4's update: it is step 4's (a second look at it), not a step 5 that never ran.
    expect(ofType(events, 'measurement').map((m) => m.step)).toEqual([0, 2, 4, 4]);
    expect(events.at(-1)!.type).toBe('run-end');
    // Training time came from the gaps between step() calls: the run-end reports the monitor's share of it.
    expect(ofType(events, 'run-end')[0]!.totals.monitorShare).toBeGreaterThan(0);
    tf.dispose([xs, ys]);
  });

  it('custom loop that gives no training time: run-end reports no share rather than 0%', async () => {
    const dir = logdir();
    const model = lstmAndSimpleRNN();
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const { xs, ys } = data(4);
    const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: dir, console: false, every: 1, budget: Infinity, worker: false });
    for (let i = 0; i < 3; i++) {
      const loss = (await model.trainOnBatch(xs, ys)) as number;
      await monitor.step(model, { loss }, 0);
    }
    await monitor.close();
    const events = readRuns(dir).get(monitor.runId!)!;
    // budget: Infinity measures every step although no training time was recorded.
    expect(ofType(events, 'measurement').map((m) => m.step)).toEqual([0, 1, 2]);
    expect(ofType(events, 'run-start')[0]!.options.budget).toBe('Infinity');
    const { totals } = ofType(events, 'run-end')[0]!;
    expect(totals.steps).toBe(3);
    expect('monitorShare' in totals || 'waitShare' in totals).toBe(false);
    tf.dispose([xs, ys]);
  });

  it('functional model with Bidirectional and stacked cells: one record per cell', async () => {
    const dir = logdir();
    const input = tf.input({ shape: [T, 2] });
    const bidi = tf.layers.bidirectional({ layer: tf.layers.gru({ units: 4, returnSequences: true }) as any, name: 'bidi' }).apply(input);
    const stacked = tf.layers.rnn({ cell: [tf.layers.lstmCell({ units: 3 }), tf.layers.simpleRNNCell({ units: 5 })], name: 'stack' }).apply(bidi as tf.SymbolicTensor);
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1 }).apply(stacked as tf.SymbolicTensor) as tf.SymbolicTensor });
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(8);
    const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: dir, console: false });
    await model.fit(xs, ys, { epochs: 1, batchSize: 8, callbacks: [monitor], verbose: 0 });
    const events = readRuns(dir).get(monitor.runId!)!;
    const layers = ofType(events, 'measurement')[0]!.layers;
    expect(layers.map((l) => [l.layer, l.kind, l.stateSize])).toEqual([
      ['bidi/forward', 'gru', 4],
      ['bidi/backward', 'gru', 4],
      ['stack/cell_0', 'lstm', 6],
      ['stack/cell_1', 'simpleRNN', 5],
    ]);
    tf.dispose([xs, ys]);
  });

  it('leaks no tensors: the count after 100 monitored steps equals the count after 10', async () => {
    const model = lstmAndSimpleRNN();
    model.compile({ optimizer: withClipping(tf.train.adam(0.01), { globalClipNorm: 1 }), loss: 'meanSquaredError' });
    const { xs, ys } = data(4);
    const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: logdir(), console: false, every: 5, budget: 1000 });
    let after10 = -1;
    for (let i = 0; i < 100; i++) {
      const loss = (await model.trainOnBatch(xs, ys)) as number;
      await monitor.step(model, { loss });
      // The first snapshot is held (as clones) while the worker starts; measure() waits for it to land.
      if (i === 0) await monitor.measure(model);
      if (i === 9) after10 = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(after10);
    await monitor.close();
    tf.dispose([xs, ys]);
  });

  it('prints one console line per measurement with each layer regime', async () => {
    const model = lstmAndSimpleRNN();
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const { xs, ys } = data(4);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [gradscope({ probe: { xs, ys }, logdir: false })], verbose: 0 });
    const lines = log.mock.calls.map((c) => String(c[0]));
    log.mockRestore();
    const measured = lines.filter((l) => l.startsWith('gradscope step 0'));
    expect(measured.length).toBe(1);
    // "<layer> <regime> (which indicator it follows), λ₁ …, the loss at T feels the last h of T steps (1/|λ₁| = …)"
    expect(measured[0]).toMatch(/lstm\S* (stable|vanishing|exploding)( \([^)]*\))?, λ₁ -?\d.*the loss at T feels the last \d+ of \d+ steps.*\| simple_rnn\S* (stable|vanishing|exploding)( \([^)]*\))?, λ₁/);
    tf.dispose([xs, ys]);
  });
});
