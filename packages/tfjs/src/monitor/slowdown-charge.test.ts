/**
 * The training steps' excess while the worker measures over steps while it
 * rests (slowdown-charge.ts): the charge on scripted step times, and a real
 * run beside the real worker whose measuring steps are made 2 s longer —
 * the budget then stops the snapshots, as it does for a wait no budget covers
 * (run-queue-charge.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { nodePlatform } from '../platform/node/node-platform.js';
import { installPlatform } from '../platform/platform.js';
import { useTestBackend } from '../test-helpers/backend.js';
import { ofType, readRuns, tempLogdirsPerTest } from '../test-helpers/runs.js';
import { watchWorker } from '../test-helpers/worker-answered.js';
import { data, rnn } from '../test-helpers/worker-models.js';
import { Cadence } from './cadence.js';
import { gradscope } from './monitor.js';
import { MIN_RESTING, REST_EVERY, RESTING_SAMPLES, SlowdownCharge } from './slowdown-charge.js';

beforeAll(async () => {
  await useTestBackend();
});

afterEach(() => installPlatform(nodePlatform));

const logdir = tempLogdirsPerTest();

/** Files `ms` as one step of `state`. */
function file(charge: SlowdownCharge, state: 'measuring' | 'resting' | 'other', ...ms: number[]): void {
  for (const m of ms) {
    charge.mark(state);
    charge.step(m);
  }
}

describe('SlowdownCharge', () => {
  it('charges a measuring step\'s excess over the median resting step, at the reply', () => {
    const c = new SlowdownCharge();
    expect(c.restWanted).toBe(true); // no baseline yet
    file(c, 'resting', 50, 70);
    expect(c.everRead).toBe(false);
    expect(c.baseline).toBeNull(); // fewer than MIN_RESTING
    file(c, 'measuring', 90); // nothing to read it against: not held
    expect(c.settle(1000)).toBe(0);
    expect(c.everRead).toBe(false); // run-end then reports no share, rather than 0
    file(c, 'resting', 52);
    expect(MIN_RESTING).toBe(3);
    expect(c.baseline).toBe(52); // median of 50, 70, 52
    expect(c.restWanted).toBe(false);
    file(c, 'measuring', 60, 61); // 8 + 9 over the baseline
    expect(c.everRead).toBe(true);
    expect(c.settle(1000)).toBe(17);
    expect(c.settle(1000)).toBe(0); // settled
    // Steps while the worker starts, or without a worker, are neither: not filed.
    file(c, 'other', 500);
    expect(c.baseline).toBe(52);
    expect(c.settle(1000)).toBe(0);
    // A step recorded with no mark before it (a custom loop's first, a run's end) is not filed either.
    c.step(500);
    expect(c.settle(1000)).toBe(0);
  });

  it('caps a charge at the worker\'s time for the measurement and drops the rest: that much is other load', () => {
    const c = new SlowdownCharge();
    file(c, 'resting', 10, 10, 10);
    file(c, 'measuring', 110); // 100 over
    expect(c.settle(30)).toBe(30);
    expect(c.settle(1000)).toBe(0); // the 70 left is gone, not carried to the next reply
    file(c, 'measuring', 15);
    expect(c.settle(Number.NaN)).toBe(0); // a worker time that is no number caps at 0
    expect(c.settle(1000)).toBe(0);
  });

  it('keeps a step below the baseline as a credit against the next excess, down to one baseline step', () => {
    const c = new SlowdownCharge();
    file(c, 'resting', 40, 40, 40);
    file(c, 'measuring', 36, 37); // 4 + 3 under: a credit of 7
    expect(c.settle(1000)).toBe(0);
    file(c, 'measuring', 50); // 10 over, less the credit
    expect(c.settle(1000)).toBe(3);
    // A run of fast steps (a smaller last batch of an epoch) is a credit of at most one baseline step.
    file(c, 'measuring', 1, 1, 1, 1);
    file(c, 'measuring', 40 + 40 + 25);
    expect(c.settle(1000)).toBe(25);
  });

  it('the baseline is the median of the last RESTING_SAMPLES resting steps', () => {
    const c = new SlowdownCharge();
    expect(RESTING_SAMPLES).toBe(7);
    file(c, 'resting', 1000, 1000, 1000, 20, 21, 22, 23); // a slow start (compilation), then steady steps
    expect(c.baseline).toBe(23);
    file(c, 'resting', 24, 25, 26);
    expect(c.baseline).toBe(23); // 20..26: the slow start has left the window
    file(c, 'resting', 27);
    expect(c.baseline).toBe(24);
    file(c, 'resting', 30);
    expect(c.baseline).toBe(25); // 22, 23, 24, 25, 26, 27, 30
  });

  it('asks for a step of rest once REST_EVERY measuring steps have passed since the last', () => {
    const c = new SlowdownCharge();
    file(c, 'resting', 10, 10, 10);
    for (let i = 0; i < REST_EVERY - 1; i++) file(c, 'measuring', 10);
    expect(c.restWanted).toBe(false);
    file(c, 'measuring', 10);
    expect(c.restWanted).toBe(true);
    file(c, 'other', 10); // the worker starting again, say: no rest
    expect(c.restWanted).toBe(true);
    file(c, 'resting', 10);
    expect(c.restWanted).toBe(false);
  });

  it('ignores step times that are negative or no number', () => {
    const c = new SlowdownCharge();
    file(c, 'resting', 10, Number.NaN, -5, Number.POSITIVE_INFINITY, 10, 10);
    expect(c.baseline).toBe(10);
    file(c, 'measuring', Number.NaN, -1);
    expect(c.settle(1000)).toBe(0);
  });

  it('on the budget\'s worker account, the larger of the wait and the slowdown is charged, and each is reported apart', () => {
    const c = new Cadence(1, 0.05);
    c.measured(0, 0);
    c.addTraining(1000);
    c.measured(1, 1);
    c.addWorkerCost(10, 30); // the account: 30
    c.addWorkerCost(20, 5); // 50
    expect(c.waitShare).toBeCloseTo(30 / 1000, 12);
    expect(c.slowdownShare).toBeCloseTo(35 / 1000, 12);
    expect(c.workerShare).toBeCloseTo(50 / 1000, 12);
    expect(c.isDue(2)).toBe(false); // 50 + the last 20 > 50
    c.addTraining(400); // 70
    expect(c.isDue(2)).toBe(true);
    c.addWorkerCost(Number.NaN, -3); // both count as 0
    expect(c.workerShare).toBeCloseTo(50 / 1400, 12);
  });
});

describe('gradscope() with a worker, charging its measuring steps\' excess', () => {
  /**
   * 60 steps of a small model beside the real worker, budget 0.2 (unless given), every
   * reply claiming 10¹² ms of the worker's CPU time (so no cap applies),
   * each step held until the worker has answered two measurements (see
   * watchWorker). With `extraMs`, a callback after the monitor makes the
   * step after each snapshot that many ms longer: training beside a worker
   * that slows it. The sequence is then fixed: snapshot 0 (the cold one,
   * not charged), MIN_RESTING steps of rest for the baseline, snapshot 1,
   * one measuring step, its reply.
   */
  async function run(extraMs: number, budget = 0.2) {
    const dir = logdir();
    const model = rnn();
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(240);
    const watch = watchWorker({ untilMeasured: 2, claimCpuMs: 1e12 });
    let seen = 0;
    let inflated = 0;
    // The step at whose end each snapshot was posted (seen at the next step's start).
    const postedAt: number[] = [];
    const slow = new tf.CustomCallback({
      onBatchBegin: async (batch) => {
        if (watch.posted() <= seen) return;
        seen = watch.posted();
        postedAt.push(batch - 1);
        if (seen === 1 || extraMs === 0) return; // the cold snapshot's step is not charged: leave it be
        inflated++;
        const until = performance.now() + extraMs;
        while (performance.now() < until); // busy: a core taken, as contention takes it
      },
    });
    const costs = vi.spyOn(Cadence.prototype, 'addWorkerCost');
    try {
      const monitor = gradscope({ probe: { xs: xs.slice(0, 4), ys: ys.slice(0, 4) }, logdir: dir, console: false, every: 1, budget });
      await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor, slow, watch.holdFirstStep], verbose: 0 });
      const events = readRuns(dir).get(monitor.runId!)!;
      const { totals } = ofType(events, 'run-end')[0]!;
      expect(totals.steps).toBe(60);
      const slowdowns = costs.mock.calls.map(([, slowdownMs]) => slowdownMs ?? 0);
      return { posted: watch.posted(), inflated, totals, slowdowns, postedAt };
    } finally {
      costs.mockRestore();
      tf.dispose([xs, ys]);
    }
  }

  it('stops sending snapshots once the excess it charged exceeds the budget, and reports it', async () => {
    const slowed = await run(2000);
    expect(slowed.inflated).toBe(1);
    expect(slowed.posted).toBe(2); // snapshots 0 and 1: none in the ~55 steps after the charge
    // Snapshot 0 reaches the worker at step 1, when its 'ready' is read; its cold reply at step 2, and then
    // MIN_RESTING steps of rest before snapshot 1.
    expect(slowed.postedAt).toEqual([1, 2 + MIN_RESTING]);
    // Two replies: the cold one, charged nothing, then about 2000 ms, give or take the step's own variation
    // against the baseline (up to a few hundred ms on a loaded machine: the 2 s keep that a small part).
    // The next snapshot would need 0.2 × training ≥ 2 × 2000 ms: 20 s of training, where 60 steps take 2–10 s.
    expect(slowed.slowdowns).toHaveLength(2);
    expect(slowed.slowdowns[0]).toBe(0);
    expect(slowed.slowdowns[1]).toBeGreaterThan(1500);
    expect(slowed.slowdowns[1]).toBeLessThan(2600);
    // run-end: that charge over a training time that holds the 2000 ms step and is no longer than the run.
    const share = slowed.totals.slowdownShare as number;
    expect(share).toBeLessThanOrEqual((slowed.slowdowns[1] as number) / 2000);
    expect(share).toBeGreaterThanOrEqual((slowed.slowdowns[1] as number) / (slowed.totals.durationMs as number));
  });

  it('without the excess, keeps measuring, and reports the share charged', async () => {
    const plain = await run(0);
    expect(plain.posted).toBeGreaterThanOrEqual(3);
    // What the real worker cost these steps: a few % on an idle machine, more where other work takes the cores.
    expect(plain.totals.slowdownShare).toBeGreaterThanOrEqual(0);
  });

  it('with no budget to hold (budget: Infinity) the worker never rests: snapshot 1 goes at the cold reply', async () => {
    const unbounded = await run(0, Infinity);
    expect(unbounded.postedAt.slice(0, 2)).toEqual([1, 2]);
    expect(unbounded.posted).toBeGreaterThanOrEqual(3);
  });
});
