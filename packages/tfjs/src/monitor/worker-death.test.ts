/**
 * A measurement worker that dies with snapshots in hand: the one it was
 * measuring, the run's first posted to it, or the first step's held while
 * it started. None is lost: the training thread measures each at its own
 * step, with that step's weights (on a copy of the model), then goes on
 * measuring every due step itself. The worker is real; the test kills it
 * at a chosen moment (watchWorker), which makes each case certain on any
 * machine.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { nodePlatform } from '../platform/node/node-platform.js';
import { installPlatform } from '../platform/platform.js';
import { useTestBackend } from '../test-helpers/backend.js';
import { measureWorkersLeft } from '../test-helpers/measure-workers-left.js';
import { expectMeasuredAt, monitoredRun } from '../test-helpers/monitored-run.js';
import { ofType, tempLogdirsPerTest } from '../test-helpers/runs.js';
import { watchWorker } from '../test-helpers/worker-answered.js';
import type { GradscopeMonitor } from './monitor.js';

beforeAll(async () => {
  await useTestBackend();
});

afterEach(() => installPlatform(nodePlatform));

const logdir = tempLogdirsPerTest();

/** Trains `steps` steps with the worker watched by `worker` and these callbacks; the run, its measurements, and them as [step, where]. */
async function runThatLosesItsWorker(steps: number, worker: ReturnType<typeof watchWorker>, extra: Parameters<typeof monitoredRun>[2] = [worker.holdFirstStep]) {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const run = await monitoredRun(logdir(), steps, extra);
    const measured = ofType(run.events, 'measurement');
    const alerts = ofType(run.events, 'alert');
    expect(alerts.filter((a) => a.kind === 'measurement-error')).toEqual([]);
    expect(alerts.filter((a) => a.kind === 'measured-on-thread').map((a) => a.message)).toEqual([expect.stringContaining('killed by the test')]);
    expect(warn.mock.calls.length).toBe(1);
    expect(ofType(run.events, 'run-end')[0]!.totals).toMatchObject({ steps, measurements: measured.length });
    expect(await measureWorkersLeft()).toBe(0);
    expect(run.leaked).toBe(0);
    return { run, measured, where: measured.map((m) => [m.step, m.measuredIn]) };
  } finally {
    warn.mockRestore();
  }
}

describe('a measurement worker that dies with snapshots in hand', () => {
  it("before answering the run's first snapshot: the thread measures step 0 with step 0's weights, then every step", async () => {
    const worker = watchWorker({ dieAfterPosted: 1 });
    const { run, measured, where } = await runThatLosesItsWorker(8, worker);
    expect(worker.posted()).toBe(1);
    expect(where[0]).toEqual([0, 'thread']);
    await expectMeasuredAt(run, measured[0]!);
    // The step at which the thread took over measured step 0's snapshot instead of its own; every step after, its own.
    const rest = measured.slice(1).map((m) => m.step);
    expect(rest.length).toBeGreaterThan(3);
    expect(rest).toEqual(Array.from({ length: rest.length }, (_, i) => rest[0]! + i));
    expect(rest.at(-1)).toBe(7);
    expect(measured.every((m) => m.measuredIn === 'thread')).toBe(true);
    await expectMeasuredAt(run, measured[1]!);
    run.dispose();
  });

  it("while it was still starting: the first step's snapshot, held for it, is measured at step 0 with step 0's weights", async () => {
    // Its 'ready' never arrives, and training is not held for it: a worker that dies while it loads tfjs.
    const worker = watchWorker({ withholdReady: true });
    let step = 0;
    const killAtStep2 = new tf.CustomCallback({ onBatchEnd: async () => void (++step === 2 && worker.kill()) });
    const { run, measured, where } = await runThatLosesItsWorker(6, worker, [killAtStep2]);
    expect(worker.started()).toBe(true);
    expect(worker.posted()).toBe(0);
    expect(ofType(run.events, 'alert').find((a) => a.kind === 'measured-on-thread')!.message).toContain('the worker stopped while starting');
    expect(where[0]).toEqual([0, 'thread']);
    await expectMeasuredAt(run, measured[0]!);
    expect(measured.length).toBeGreaterThan(2);
    run.dispose();
  });

  it('while measuring a later snapshot: that snapshot is measured on the thread, at its step', async () => {
    // The first two snapshots measured in the worker; the third posted, then the worker killed.
    const worker = watchWorker({ dieAfterPosted: 3, untilMeasured: 2 });
    const { run, measured, where } = await runThatLosesItsWorker(12, worker);
    const lost = worker.lastPosted()!;
    expect(where.slice(0, 3)).toEqual([
      [0, 'worker'],
      [expect.any(Number), 'worker'],
      [lost, 'thread'],
    ]);
    await expectMeasuredAt(run, measured[2]!);
    const rest = measured.slice(3).map((m) => m.step);
    expect(rest[0]! > lost).toBe(true);
    expect(rest.at(-1)).toBe(11);
    run.dispose();
  });

  it("as it says it is ready, with the first step's snapshot being read back to post: step 0 is still measured, with its weights", async () => {
    const worker = watchWorker({ dieOnReady: true });
    const { run, measured, where } = await runThatLosesItsWorker(6, worker);
    expect(worker.posted()).toBe(0);
    expect(where[0]).toEqual([0, 'thread']);
    await expectMeasuredAt(run, measured[0]!);
    run.dispose();
  });

  it('found dead by monitor.measure(): the asked measurement stands for the lost snapshot of its step; no step twice, in order', async () => {
    const worker = watchWorker({ dieAfterPosted: 3, untilMeasured: 2 });
    let askedAt: number | null = null;
    // A callback after the monitor's asks for a measurement at the step whose snapshot died with the worker.
    const ask = (monitor: GradscopeMonitor) => [
      worker.holdFirstStep,
      new tf.CustomCallback({
        onBatchEnd: async (batch) => {
          if (askedAt !== null || worker.posted() < 3) return;
          askedAt = batch;
          await monitor.measure();
        },
      }),
    ];
    const { run, measured, where } = await runThatLosesItsWorker(10, worker, ask);
    const lost = worker.lastPosted()!;
    expect(askedAt).toBe(lost);
    const steps = measured.map((m) => m.step);
    // In step order, each once: the lost snapshot's step is the asked one, measured once, with that step's weights.
    expect(steps).toEqual([...new Set(steps)].sort((a, b) => a - b));
    expect(where.slice(2, 4)).toEqual([
      [lost, 'thread'],
      [lost + 1, 'thread'],
    ]);
    expect(steps.at(-1)).toBe(9);
    await expectMeasuredAt(run, measured[2]!);
    run.dispose();
  });
});
