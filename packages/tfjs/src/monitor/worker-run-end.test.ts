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
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodePlatform } from '../platform/node/node-platform.js';
import { installPlatform } from '../platform/platform.js';
import { useTestBackend } from '../test-helpers/backend.js';
import { expectCleanEnd, expectMeasuredAt, monitoredRun } from '../test-helpers/monitored-run.js';
import { ofType, tempLogdirsPerTest } from '../test-helpers/runs.js';
import { watchWorker } from '../test-helpers/worker-answered.js';
import { MAX_UNANSWERED } from './worker-measurer.js';

beforeAll(async () => {
  await useTestBackend();
});

afterEach(() => installPlatform(nodePlatform));

const logdir = tempLogdirsPerTest();

describe('the end of a run measured in a worker', () => {
  it("before the worker has started: measures the first step's snapshot on the thread, with the first step's weights", async () => {
    const worker = watchWorker({ withholdReady: true });
    const run = await monitoredRun(logdir(), 2, []);
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
    const run = await monitoredRun(logdir(), 5000, [worker.holdFirstStep], () => worker.measured() >= 3);
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
    const run = await monitoredRun(logdir(), 5000, [worker.holdFirstStep], () => worker.posted() >= 1 && ++after > 3);
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
