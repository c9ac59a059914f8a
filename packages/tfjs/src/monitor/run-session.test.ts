import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../test-helpers/backend.js';
import { ofType, readRuns, tempLogdir } from '../test-helpers/runs.js';
import { gradscope } from './monitor.js';
import { installPlatform } from '../platform/platform.js';
import { nodePlatform } from '../platform/node/node-platform.js';
import { YieldCollections } from './yield-collections.js';

beforeAll(async () => {
  await useTestBackend();
});

let cleanup: (() => void)[] = [];
afterEach(() => {
  cleanup.forEach((f) => f());
  cleanup = [];
});

const T = 6;

// Each run of one monitor is a RunSession of its own: a second fit() must
// not inherit the first one's counters, cadence or alert history.
describe('one monitor, two runs', () => {
  it('starts the second fit from nothing: its own name, steps, measurements, alerts and totals', async () => {
    const { dir, remove } = tempLogdir();
    cleanup.push(remove);
    const model = tf.sequential();
    model.add(tf.layers.simpleRNN({ units: 4, inputShape: [T, 1] }));
    model.add(tf.layers.dense({ units: 1 }));
    // A step size this large makes the loss NaN within the first run; the
    // second run starts on NaN weights, so its very first step is non-finite.
    model.compile({ optimizer: tf.train.sgd(1e30), loss: 'meanSquaredError' });
    const xs = tf.randomNormal([8, T, 1], 0, 1, 'float32', 3);
    const ys = tf.sum(xs, 1);
    const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, runName: 'twice', logdir: dir, console: false, serve: false, every: 3, budget: 1000, worker: false });

    await model.fit(xs, ys, { epochs: 2, batchSize: 2, callbacks: [monitor], verbose: 0 });
    const first = monitor.runId!;
    await model.fit(xs, ys, { epochs: 1, batchSize: 2, callbacks: [monitor], verbose: 0 });
    const second = monitor.runId!;

    const runs = readRuns(dir);
    expect(first).not.toBe(second);
    expect([...runs.keys()].sort()).toEqual([first, second].sort());
    const a = runs.get(first)!;
    const b = runs.get(second)!;
    expect(ofType(a, 'run-start')[0]!.name).toBe('twice');
    expect(ofType(b, 'run-start')[0]!.name).toBe('twice-2');
    // Steps, epochs and seq count from zero again; the cadence measures the second run's first step as its baseline.
    expect(ofType(a, 'train-step').map((s) => s.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(ofType(b, 'train-step').map((s) => [s.step, s.epoch])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
    expect(b.map((e) => e.seq)).toEqual(b.map((_, i) => i));
    expect(ofType(a, 'measurement').map((m) => m.step)).toEqual([0, 3, 6]);
    expect(ofType(b, 'measurement').map((m) => m.step)).toEqual([0, 3]);
    // The alert detector is new too: the loss that was already NaN at the end of run 1 is reported again at run 2's first step.
    const lossAlerts = (events: typeof a) => ofType(events, 'alert').filter((e) => e.kind === 'non-finite' && /^loss became/.test(e.message));
    expect(lossAlerts(a).length).toBe(1);
    expect(lossAlerts(b).map((e) => e.step)).toEqual([0]);
    expect(ofType(b, 'run-end')[0]!.totals).toMatchObject({ steps: 4, epochs: 1, measurements: 2 });
    tf.dispose([xs, ys]);
  });
});

// The watch of the thread's collections (yield-collections.ts) is a Node
// PerformanceObserver, held by Node until stopped: a run that cannot open
// is never ended, so it must not have started one.
describe('a run that cannot open', () => {
  it('leaves no collection watch running, however often it is retried', async () => {
    let started = 0;
    let stopped = 0;
    installPlatform({
      ...nodePlatform,
      watchGcPauses: (report) => {
        started++;
        const stop = nodePlatform.watchGcPauses!(report);
        return () => {
          stopped++;
          stop();
        };
      },
    });
    const { dir, remove } = tempLogdir();
    cleanup.push(remove, () => installPlatform(nodePlatform));
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const model = tf.sequential();
    model.add(tf.layers.simpleRNN({ units: 2, inputShape: [T, 1] }));
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const xs = tf.zeros([2, T, 1]);
    const ys = tf.zeros([2, 2]);
    cleanup.push(() => tf.dispose([xs, ys]));
    // A logdir under a file cannot be created: the run's sinks fail to open.
    const monitor = gradscope({ probe: { xs, ys }, logdir: join(file, 'runs'), console: false, serve: false, worker: false });
    for (let i = 0; i < 3; i++) await expect(monitor.step(model, { loss: 1 })).rejects.toThrow();
    await monitor.close();
    expect(started - stopped).toBe(0);
  });
});

// A collection in the yield right after a measurement on the thread is
// mostly that measurement's garbage: that yield is not refunded (yield-collections.ts).
describe('the yields of hooks that measured on the thread', () => {
  it('are not offered for a refund; the others are', async () => {
    const noted: number[] = [];
    const original = YieldCollections.prototype.yielded;
    YieldCollections.prototype.yielded = function (start: number, end: number) {
      noted.push(start);
      return original.call(this, start, end);
    };
    cleanup.push(() => (YieldCollections.prototype.yielded = original));
    const { dir, remove } = tempLogdir();
    cleanup.push(remove);
    const model = tf.sequential();
    model.add(tf.layers.simpleRNN({ units: 2, inputShape: [T, 1] }));
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const xs = tf.randomNormal([2, T, 1], 0, 1, 'float32', 5);
    const ys = tf.zeros([2, 2]);
    cleanup.push(() => tf.dispose([xs, ys]));
    const pause = () => new Promise((resolve) => setTimeout(resolve, 60)); // past the 50 ms between periodic yields
    // budget 1000: every step measures on the thread; none of its yields is noted.
    const always = gradscope({ probe: { xs, ys }, logdir: dir, console: false, serve: false, worker: false, every: 1, budget: 1000 });
    for (let i = 0; i < 4; i++) {
      await pause();
      await always.step(model, { loss: 1 }, 1);
    }
    await always.close();
    expect(noted).toEqual([]);
    // every 1000: only step 0 measures; the yields of the three after it are noted.
    const rarely = gradscope({ probe: { xs, ys }, logdir: dir, console: false, serve: false, worker: false, every: 1000 });
    for (let i = 0; i < 4; i++) {
      await pause();
      await rarely.step(model, { loss: 1 }, 1);
    }
    await rarely.close();
    expect(noted).toHaveLength(3);
  });
});
