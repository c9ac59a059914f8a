/**
 * The training thread's wait for a core, charged to the budget's second
 * account while the worker measures (run-queue-charge.ts): the charge itself on scripted
 * readings, and a real run whose platform reports a wait no budget covers,
 * beside the real worker — snapshots stop once the wait is charged. The
 * kernel's own readings are tested in platform/node/thread-schedstat.test.ts.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
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
  it('holds the wait of intervals begun with the worker busy, and charges it at the reply, up to the worker\'s CPU time', () => {
    const readings = [10, 25, 40, 47, 60, 100];
    const charge = new RunQueueCharge(() => readings.shift() ?? null);
    charge.collect(); // no interval begun: reads nothing
    charge.mark(true); // 10
    charge.collect(); // 25: 15 pending
    charge.mark(false); // the worker rests: reads nothing
    charge.collect();
    charge.mark(true); // 40
    charge.collect(); // 47: 22 pending
    expect(charge.settle(100)).toBe(22);
    expect(charge.settle(100)).toBe(0); // settled
    charge.mark(true); // 60
    charge.collect(); // 100: 40 pending
    expect(charge.settle(30)).toBe(30); // a worker that ran 30 ms is charged at most 30 ms; the rest was other load
    expect(charge.settle(30)).toBe(0);
    expect(readings).toEqual([]);
  });

  it('charges nothing where the OS does not tell or the worker reports no CPU time, and never a negative wait', () => {
    const none = new RunQueueCharge(() => null);
    none.mark(true);
    none.collect();
    expect(none.settle(50)).toBe(0);
    const readings = [30, 20, 0, 80];
    const odd = new RunQueueCharge(() => readings.shift()!);
    odd.mark(true);
    odd.collect(); // backwards: nothing
    expect(odd.settle(50)).toBe(0);
    odd.mark(true);
    odd.collect(); // 80 pending
    expect(odd.settle(0)).toBe(0);
  });

  it('a charged wait is held within the budget on its own account, apart from the monitor\'s own time', () => {
    const c = new Cadence(1, 0.05);
    c.measured(0, 0);
    c.addTraining(100);
    expect(c.isDue(1)).toBe(true);
    c.measured(1, 1); // a snapshot: 1 ms
    c.addMonitor(1);
    c.addWorkerCost(20); // the training thread waited 20 ms for a core while the worker measured (as RunSession charges it)
    // The wait's account: 20 ms charged, +20 expected for the next measurement: due once 0.05 × training ≥ 40 ms, at
    // 800 ms of training. The monitor's (2 ms with the next snapshot) alone would allow it at 40 ms.
    let step = 2;
    while (!c.isDue(step)) {
      c.addTraining(10);
      step++;
    }
    expect(step).toBe(2 + 70); // 100 + 70 × 10 = 800
    expect(c.waitShare).toBeCloseTo(20 / 800, 9);
    expect(c.overhead).toBeCloseTo(1 / 800, 9);
  });

  it('either account past the budget holds a measurement back; together they may reach twice it', () => {
    const c = new Cadence(1, 0.05);
    c.measured(0, 0);
    c.addTraining(1000);
    c.measured(1, 10);
    c.addMonitor(30); // with the next 10: 40 ≤ 50
    c.addWorkerCost(20); // with the next 20: 40 ≤ 50
    // 50 ms charged in all, 80 with the next measurement: past 0.05 × 1000 together, within it each.
    expect(c.isDue(2)).toBe(true);
    c.addWorkerCost(25); // 45, with the next 25: 70 > 50
    expect(c.isDue(2)).toBe(false);
    c.addTraining(400); // 0.05 × 1400 = 70
    expect(c.isDue(2)).toBe(true);
    c.addMonitor(25); // 55, with the next 10: 65 ≤ 70
    expect(c.isDue(2)).toBe(true);
    c.addMonitor(10); // 65 + 10 > 70
    expect(c.isDue(2)).toBe(false);
    expect(c.overhead + c.waitShare).toBeCloseTo((65 + 45) / 1400, 9); // 7.9%: the two accounts together, past the budget
    c.addWorkerCost(Number.NaN); // ignored, as a negative or infinite one is
    c.addWorkerCost(-1);
    c.addWorkerCost(Number.POSITIVE_INFINITY);
    expect(c.waitShare).toBeCloseTo(45 / 1400, 9);
  });
});

describe('gradscope() with a worker, charging the training thread\'s wait', () => {
  /**
   * A run of 60 steps beside the real worker, on a platform whose training
   * thread waits 10⁹ ms for a core between any two readings: more than
   * even a budget of 1000 covers (the budget is that large so that the
   * monitor's own time never holds a snapshot back, however busy the
   * machine). Each step is held until the worker has answered two
   * measurements, or every snapshot posted when fewer (the cold first,
   * then one it measured while the wait was read), so the sequence is
   * fixed: snapshot 0 (held while the worker starts), its cold reply,
   * snapshot 1 and an interval charged from there, its reply — which
   * settles the charge. Returns the snapshots posted and the readings.
   */
  async function runBesideWaitingThread(claimCpuMs: number): Promise<{ posted: number; reads: number; measured: number; waits: number[]; own: number[]; wallMs: number; totals: Record<string, unknown> }> {
    const dir = logdir();
    const model = rnn();
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(240);
    const watch = watchWorker({ untilMeasured: 2, claimCpuMs });
    let reads = 0;
    installPlatform({ ...platform(), openRunQueueClock: () => ({ waitMs: () => 1e9 * ++reads, close: () => {} }) });
    // Which of the cadence's accounts each charge reaches.
    const waits = vi.spyOn(Cadence.prototype, 'addWorkerCost');
    const own = vi.spyOn(Cadence.prototype, 'addMonitor');
    try {
      const monitor = gradscope({ probe: { xs: xs.slice(0, 4), ys: ys.slice(0, 4) }, logdir: dir, console: false, every: 1, budget: 1000 });
      const started = performance.now();
      await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor, watch.holdFirstStep], verbose: 0 });
      const wallMs = performance.now() - started;
      const events = readRuns(dir).get(monitor.runId!)!;
      const { totals } = ofType(events, 'run-end')[0]!;
      expect(totals.steps).toBe(60);
      const charged = (spy: typeof waits) => spy.mock.calls.map(([ms]) => ms);
      return { posted: watch.posted(), reads, measured: watch.measured(), waits: charged(waits), own: charged(own), wallMs, totals: { ...totals } };
    } finally {
      waits.mockRestore();
      own.mockRestore();
      tf.dispose([xs, ys]);
    }
  }

  it('stops sending snapshots once the wait it charged exceeds the budget', async () => {
    // Replies claim more CPU time than any wait read here, so the whole wait is charged.
    const charged = await runBesideWaitingThread(1e12);
    expect(charged.reads).toBe(2); // one charged interval, then the worker rested
    expect(charged.posted).toBe(2); // snapshots 0 and 1, none in the 58 steps after the charge
    // The interval's 10⁹ ms went to the wait's own account, none of it to the monitor's.
    expect(charged.waits).toContain(1e9);
    expect(Math.max(...charged.own)).toBeLessThan(1e6);
    // run-end says so: 10⁹ ms charged over a training time no longer than the run's wall time.
    expect(charged.totals.waitShare).toBeGreaterThanOrEqual(1e9 / charged.wallMs);
  });

  it('charges no more than the worker\'s own CPU time for its measurement: none when it reports none', async () => {
    const uncharged = await runBesideWaitingThread(0);
    expect(uncharged.reads).toBeGreaterThanOrEqual(2);
    expect(uncharged.waits.every((ms) => ms === 0)).toBe(true);
    expect(uncharged.totals.waitShare).toBe(0);
    // Nothing charged: snapshot 2 goes out at the step the reply lands, and more after it.
    expect(uncharged.posted).toBeGreaterThanOrEqual(3);
  });

  it.runIf(process.platform === 'linux')('keeps the training thread\'s record open for the run, and closes it at the run\'s end', async () => {
    // The descriptors of this process open on a schedstat file (the clock's: /proc/thread-self resolves to the task's).
    const open = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).endsWith('/schedstat');
        } catch {
          return false; // the directory's own descriptor, gone by now
        }
      }).length;
    const before = open();
    const model = rnn();
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(40);
    const during: number[] = [];
    const count = new tf.CustomCallback({ onBatchEnd: async () => void during.push(open()) });
    const monitor = gradscope({ probe: { xs: xs.slice(0, 4), ys: ys.slice(0, 4) }, logdir: logdir(), console: false, every: 1 });
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor, count], verbose: 0 });
    await monitor.close();
    expect(Math.min(...during)).toBe(before + 1);
    expect(open()).toBe(before);
    tf.dispose([xs, ys]);
  });

  it('reads no wait when measuring on the training thread', async () => {
    const dir = logdir();
    const model = rnn();
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(40);
    let reads = 0;
    installPlatform({ ...nodePlatform, openRunQueueClock: () => ({ waitMs: () => ++reads, close: () => {} }) });
    const monitor = gradscope({ probe: { xs: xs.slice(0, 4), ys: ys.slice(0, 4) }, logdir: dir, console: false, every: 1, worker: false });
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor], verbose: 0 });
    expect(reads).toBe(0);
    const events = readRuns(dir).get(monitor.runId!)!;
    expect(ofType(events, 'measurement').length).toBeGreaterThanOrEqual(1);
    // run-end: no wait read, so none reported; the monitor's own share is.
    const { totals } = ofType(events, 'run-end')[0]!;
    expect(totals.waitShare).toBeNull();
    expect(totals.monitorShare).toBeGreaterThan(0);
    tf.dispose([xs, ys]);
  });
});
