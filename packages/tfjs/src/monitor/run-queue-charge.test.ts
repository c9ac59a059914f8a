/**
 * The training thread's wait for a core, charged to the budget while the
 * worker measures (run-queue-charge.ts): the charge itself on scripted
 * readings, and a real run whose platform reports a wait no budget covers,
 * beside the real worker — snapshots stop once the wait is charged. The
 * kernel's own reading is tested in platform/node/run-queue-wait.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodePlatform } from '../platform/node/node-platform.js';
import { installPlatform, platform } from '../platform/platform.js';
import { useTestBackend } from '../test-helpers/backend.js';
import { ofType, readRuns, tempLogdirsPerTest } from '../test-helpers/runs.js';
import { watchWorker } from '../test-helpers/worker-answered.js';
import { data, rnn } from '../test-helpers/worker-models.js';
import { Cadence } from './cadence.js';
import { gradscope } from './monitor.js';
import { RunQueueCharge } from './run-queue-charge.js';

beforeAll(async () => {
  await useTestBackend();
});

afterEach(() => installPlatform(nodePlatform));

const logdir = tempLogdirsPerTest();

describe('RunQueueCharge', () => {
  it('charges the wait between mark(true) and take(), and nothing after mark(false)', () => {
    const readings = [10, 25, 40, 47];
    const charge = new RunQueueCharge(() => readings.shift() ?? null);
    expect(charge.take()).toBe(0); // no interval started
    charge.mark(true); // reads 10
    expect(charge.take()).toBe(15); // reads 25
    expect(charge.take()).toBe(0); // the interval was taken
    charge.mark(false); // reads nothing
    expect(charge.take()).toBe(0);
    expect(readings).toEqual([40, 47]);
    charge.mark(true); // 40
    expect(charge.take()).toBe(7); // 47
  });

  it('charges nothing where the OS does not tell, and never a negative wait', () => {
    const none = new RunQueueCharge(() => null);
    none.mark(true);
    expect(none.take()).toBe(0);
    const readings = [30, 20];
    const backwards = new RunQueueCharge(() => readings.shift()!);
    backwards.mark(true);
    expect(backwards.take()).toBe(0);
  });

  it('a charged wait counts against the budget like the monitor\'s own time', () => {
    const c = new Cadence(1, 0.05);
    c.measured(0, 0);
    c.addTraining(100);
    expect(c.isDue(1)).toBe(true);
    c.measured(1, 1); // a snapshot: 1 ms
    c.addMonitor(1);
    c.addWait(20); // the training thread waited 20 ms for a core while the worker measured
    // 21 ms charged (+1 expected): due again once 0.05 × training ≥ 22 ms, i.e. at 440 ms of training.
    let step = 2;
    while (!c.isDue(step)) {
      c.addTraining(10);
      step++;
    }
    expect(step).toBe(2 + 34); // 100 + 34 × 10 = 440
    expect(c.overhead).toBeCloseTo(21 / 440, 9);
  });
});

describe('gradscope() with a worker, charging the training thread\'s wait', () => {
  it('stops sending snapshots once the wait it charged exceeds the budget', async () => {
    const dir = logdir();
    const model = rnn();
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(240);
    const watch = watchWorker({ untilMeasured: 1 });
    // A platform whose training thread waits a second for a core between any two readings:
    // far more than a budget of 0.05 covers in a run of a few seconds.
    let reads = 0;
    let postedAtFirstRead: number | null = null;
    installPlatform({
      ...platform(),
      runQueueWaitMs: () => {
        postedAtFirstRead ??= watch.posted();
        return 1000 * ++reads;
      },
    });
    const monitor = gradscope({ probe: { xs: xs.slice(0, 4), ys: ys.slice(0, 4) }, logdir: dir, console: false, every: 1, budget: 0.05 });
    const postedAfterStep: number[] = [];
    const count = new tf.CustomCallback({ onBatchEnd: async () => void postedAfterStep.push(watch.posted()) });
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor, watch.holdFirstStep, count], verbose: 0 });
    // The worker measured (so the wait was charged): the readings began once it had answered its first snapshot.
    expect(watch.measured()).toBeGreaterThanOrEqual(1);
    expect(reads).toBeGreaterThanOrEqual(2);
    // Snapshots went out at the steps before the first charged interval, none after it.
    expect(postedAtFirstRead).not.toBeNull();
    expect(postedAtFirstRead!).toBeGreaterThanOrEqual(2);
    expect(watch.posted()).toBe(postedAtFirstRead);
    const firstSilent = postedAfterStep.indexOf(postedAtFirstRead!);
    expect(postedAfterStep.length - firstSilent).toBeGreaterThan(40); // most of the run's 60 steps
    const events = readRuns(dir).get(monitor.runId!)!;
    expect(ofType(events, 'run-end')[0]!.status).toBe('completed');
    tf.dispose([xs, ys]);
  });

  it('reads no wait when measuring on the training thread', async () => {
    const dir = logdir();
    const model = rnn();
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(40);
    let reads = 0;
    installPlatform({ ...nodePlatform, runQueueWaitMs: () => ++reads });
    const monitor = gradscope({ probe: { xs: xs.slice(0, 4), ys: ys.slice(0, 4) }, logdir: dir, console: false, every: 1, worker: false });
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor], verbose: 0 });
    expect(reads).toBe(0);
    expect(ofType(readRuns(dir).get(monitor.runId!)!, 'measurement').length).toBeGreaterThanOrEqual(1);
    tf.dispose([xs, ys]);
  });
});
