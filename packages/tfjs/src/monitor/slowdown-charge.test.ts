/**
 * The training steps' excess while the worker measures over steps while it
 * rests (slowdown-charge.ts): the charge on scripted step times, and real
 * runs beside the real worker — one whose every step beside a measuring
 * worker is made 40 ms longer (it rests for a baseline and its excess is
 * read), one left alone, and one with no budget to hold.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { nodePlatform } from '../platform/node/node-platform.js';
import { SILENT_CLOCK } from '../platform/platform-interface.js';
import { installPlatform, platform } from '../platform/platform.js';
import { useTestBackend } from '../test-helpers/backend.js';
import { ofType, readRuns, tempLogdirsPerTest } from '../test-helpers/runs.js';
import { watchWorker } from '../test-helpers/worker-answered.js';
import { data, rnn } from '../test-helpers/worker-models.js';
import { Cadence } from './cadence.js';
import { gradscope } from './monitor.js';
import { EARLY_REST_EVERY, MEASURING_SAMPLES, MIN_MEASURING, MIN_RESTING, REST_EVERY, RESTING_SAMPLES, SlowdownCharge, type WorkerState } from './slowdown-charge.js';

beforeAll(async () => {
  await useTestBackend();
});

afterEach(() => installPlatform(nodePlatform));

const logdir = tempLogdirsPerTest();

/** Files `ms` as steps of `state`. */
function file(charge: SlowdownCharge, state: WorkerState, ...ms: number[]): void {
  for (const m of ms) {
    charge.mark(state);
    charge.step(m);
  }
}

/**
 * Files `times` as a run at `every: 1` does with a worker that answers
 * within a step: MIN_RESTING resting steps, then REST_EVERY measuring steps
 * and one resting, over and over, a reply after each measuring step.
 * Returns the share of the time charged.
 */
function chargedShare(times: number[]): number {
  const c = new SlowdownCharge();
  let charged = 0;
  let total = 0;
  times.forEach((ms, i) => {
    const state = i < MIN_RESTING || (i - MIN_RESTING) % (REST_EVERY + 1) === REST_EVERY ? 'resting' : 'measuring';
    file(c, state, ms);
    total += ms;
    if (state === 'measuring') charged += c.settle(1e12);
  });
  return charged / total;
}

describe('SlowdownCharge', () => {
  it('charges, per measuring step, the median measuring step\'s excess over the median resting step, at the reply', () => {
    expect([MIN_RESTING, MIN_MEASURING]).toEqual([3, 3]);
    const c = new SlowdownCharge();
    expect(c.restWanted).toBe(true); // no baseline yet
    file(c, 'resting', 52, 52);
    expect(c.baseline).toBeNull(); // fewer than MIN_RESTING
    file(c, 'measuring', 61); // nothing to read it against: not held
    expect(c.settle(1000)).toBe(0);
    expect(c.everRead).toBe(false); // run-end then reports no share, rather than 0
    file(c, 'resting', 52);
    expect(c.baseline).toBe(52);
    expect(c.restWanted).toBe(false);
    file(c, 'measuring', 61); // two measuring steps: fewer than MIN_MEASURING
    expect(c.excess).toBeNull();
    expect(c.settle(1000)).toBe(0);
    file(c, 'measuring', 61); // median 61, no spread on either side: 9 over
    expect(c.everRead).toBe(true);
    expect(c.settle(1000)).toBe(9);
    expect(c.settle(1000)).toBe(0); // settled
    file(c, 'measuring', 61, 61);
    expect(c.settle(1000)).toBe(18);
    // Steps while the worker starts, or without a worker, are neither: not filed.
    file(c, 'other', 500);
    expect([c.baseline, c.excess]).toEqual([52, 9]);
    // A step recorded with no mark before it (a custom loop's first, a run's end) is not filed either.
    c.step(500);
    expect(c.settle(1000)).toBe(0);
    // Measuring steps below the resting ones charge nothing (and credit nothing).
    file(c, 'resting', 100, 100, 100, 100); // 52, 52, 52, 100, 100, 100, 100: median 100
    file(c, 'measuring', 80);
    expect(c.excess).toBe(0);
    expect(c.settle(1000)).toBe(0);
  });

  it('takes one standard error of the two medians\' difference off the excess (worked by hand)', () => {
    const c = new SlowdownCharge();
    file(c, 'resting', 10, 12, 14); // median 12, absolute deviations 2, 0, 2: MAD 2
    file(c, 'measuring', 20, 21, 22); // median 21, MAD 1
    // σ ≈ 1.4826·MAD; a median of n has a standard error of about 1.2533·σ/√n; the difference's, the root of the sum of squares.
    const error = Math.sqrt((1.2533 * 1.4826 * 2) ** 2 / 3 + (1.2533 * 1.4826 * 1) ** 2 / 3);
    expect(error).toBeCloseTo(2.399, 3);
    expect(c.excess).toBeCloseTo(21 - 12 - error, 12);
    expect(c.settle(1000)).toBeCloseTo(9 - error, 12);
    // Steps that differ by their noise alone are charged nothing: both medians 20, spreads of a few ms.
    const quiet = new SlowdownCharge();
    file(quiet, 'resting', 18, 20, 23, 19, 21, 20, 22);
    file(quiet, 'measuring', 21, 19, 20, 22, 18, 20, 23, 21, 19, 24, 20, 22, 17, 21, 20);
    expect(quiet.excess).toBe(0);
  });

  it('a one-off slow step is not the worker\'s: the medians leave it out', () => {
    const c = new SlowdownCharge();
    file(c, 'resting', 10, 10, 10);
    file(c, 'measuring', 10, 10, 2000, 10, 10);
    expect(c.settle(1e12)).toBe(0);
    // Skewed steps on both sides (a 30 ms collection every fifth 10 ms step): nothing charged. Summing each
    // measuring step's excess over the resting median charged 27% of the time here.
    expect(chargedShare(Array.from({ length: 1700 }, (_, i) => (i % 5 === 4 ? 30 : 10)))).toBe(0);
  });

  it('a level that moves is: measuring steps 4 ms longer are charged 4 ms each', () => {
    const times = Array.from({ length: (REST_EVERY + 1) * 20 + MIN_RESTING }, (_, i) => {
      const resting = i < MIN_RESTING || (i - MIN_RESTING) % (REST_EVERY + 1) === REST_EVERY;
      return resting ? 20 : 24 + (i % 7 === 0 ? 15 : 0); // and a slow measuring step now and then
    });
    const measuringSteps = 20 * REST_EVERY;
    const total = times.reduce((a, b) => a + b, 0);
    // Charged from the MIN_MEASURING-th measuring step on: all but the first two.
    expect(chargedShare(times) * total).toBeCloseTo(4 * (measuringSteps - (MIN_MEASURING - 1)), 6);
  });

  it('caps a charge at the worker\'s time for the measurement and drops the rest: that much is other load', () => {
    const c = new SlowdownCharge();
    file(c, 'resting', 10, 10, 10);
    file(c, 'measuring', 110, 110, 110); // 100 over, at the third
    expect(c.settle(30)).toBe(30);
    expect(c.settle(1000)).toBe(0); // the 70 left is gone, not carried to the next reply
    file(c, 'measuring', 110);
    expect(c.settle(Number.NaN)).toBe(0); // a worker time that is no number caps at 0
    expect(c.settle(1000)).toBe(0);
  });

  it('reads the last RESTING_SAMPLES resting steps and the last MEASURING_SAMPLES measuring ones', () => {
    expect([RESTING_SAMPLES, MEASURING_SAMPLES]).toEqual([7, 15]);
    const c = new SlowdownCharge();
    file(c, 'resting', 1000, 1000, 1000, 20, 21, 22, 23); // a slow start (compilation), then steady steps
    expect(c.baseline).toBe(23);
    file(c, 'resting', 24, 25, 26);
    expect(c.baseline).toBe(23); // 20..26: the slow start has left the window
    file(c, 'resting', 23, 23, 23, 23); // 23, 24, 25, 26 and these: median 23, MAD 0
    file(c, 'measuring', ...Array.from({ length: 8 }, () => 1000), ...Array.from({ length: 15 }, () => 30));
    expect(c.excess).toBe(7); // the 8 slow ones have left the window
  });

  it('asks for a rest every EARLY_REST_EVERY measuring steps until RESTING_SAMPLES resting ones exist, then every REST_EVERY', () => {
    const c = new SlowdownCharge();
    file(c, 'resting', 10, 10, 10);
    for (let r = MIN_RESTING; r < RESTING_SAMPLES; r++) {
      for (let i = 0; i < EARLY_REST_EVERY - 1; i++) file(c, 'measuring', 10);
      expect(c.restWanted).toBe(false);
      file(c, 'measuring', 10);
      expect(c.restWanted).toBe(true);
      file(c, 'resting', 10);
    }
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
    file(c, 'measuring', Number.NaN, -1, 10, 10);
    expect(c.excess).toBeNull(); // two measuring steps filed
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
   * 150 steps of a small model beside the real worker, every reply claiming
   * 10¹² ms of the worker's CPU time (so no cap applies), the probe 64
   * samples: the worker's measurement outlasts a training step, so it has a
   * snapshot in hand at every step boundary unless made to rest. With
   * `extraMs`, a callback after the monitor makes every step that runs
   * beside the measuring worker (as the monitor marked it) that much
   * longer: a worker that slows training. `silentClock`: no run-queue wait
   * is read (a page, macOS, Windows), so the steps' excess is all the
   * account sees.
   */
  async function run(options: { extraMs: number; budget: number; silentClock?: boolean; heldFor?: number }) {
    const dir = logdir();
    const model = rnn();
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(4 * 150);
    // Each step held until the worker has answered `heldFor` measurements (each snapshot before then answered
    // before the next step): a worker at nice 19 on a machine busy with other work still gets that far.
    const watch = watchWorker({ claimCpuMs: 1e12, untilMeasured: options.heldFor ?? 0 });
    if (options.silentClock) installPlatform({ ...platform(), openRunQueueClock: () => SILENT_CLOCK });
    const realMark = SlowdownCharge.prototype.mark;
    const marks: WorkerState[] = [];
    const mark = vi.spyOn(SlowdownCharge.prototype, 'mark').mockImplementation(function (this: SlowdownCharge, state: WorkerState) {
      marks.push(state);
      realMark.call(this, state);
    });
    const costs = vi.spyOn(Cadence.prototype, 'addWorkerCost');
    const training = vi.spyOn(Cadence.prototype, 'addTraining');
    let inflated = 0;
    // Inflated steps before the baseline existed: the snapshot in the worker's hands at its cold reply is
    // measured on before it rests, and no excess can be read then.
    let unread = 0;
    const slow = new tf.CustomCallback({
      onBatchBegin: async () => {
        if (options.extraMs === 0 || marks.at(-1) !== 'measuring') return;
        inflated++;
        if (marks.filter((m) => m === 'resting').length < MIN_RESTING) unread++;
        const until = performance.now() + options.extraMs;
        while (performance.now() < until); // busy: a core taken, as contention takes it
      },
    });
    try {
      const monitor = gradscope({ probe: { xs: xs.slice(0, 64), ys: ys.slice(0, 64) }, logdir: dir, console: false, every: 1, budget: options.budget });
      await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor, slow, watch.holdFirstStep], verbose: 0 });
      const { totals } = ofType(readRuns(dir).get(monitor.runId!)!, 'run-end')[0]!;
      expect(totals.steps).toBe(150);
      const count = (s: WorkerState) => marks.filter((m) => m === s).length;
      return {
        resting: count('resting'),
        measuring: count('measuring'),
        inflated,
        unread,
        posted: watch.posted(),
        totals,
        chargedMs: costs.mock.calls.reduce((sum, [, slowdownMs]) => sum + (slowdownMs ?? 0), 0),
        trainingMs: training.mock.calls.reduce((sum, [ms]) => sum + ms, 0),
      };
    } finally {
      mark.mockRestore();
      costs.mockRestore();
      training.mockRestore();
      tf.dispose([xs, ys]);
    }
  }

  it('a worker always busy and slowing each step it measures beside: it rests for a baseline, and its excess is read and reported where no wait is read', async () => {
    // What the charge comes to is the scripted tests' (above): on a loaded machine the steps' own spread, which
    // the charge leaves out, moves from a few ms to tens, so a real run's figure is not pinned here.
    const r = await run({ extraMs: 40, budget: 0.2, silentClock: true, heldFor: 10 });
    // The worker rests for its baseline although it always has work (the review found it never did).
    expect(r.resting).toBeGreaterThanOrEqual(MIN_RESTING);
    expect(r.inflated - r.unread).toBeGreaterThan(MIN_MEASURING);
    // Read against resting steps, so reported as a number (null where nothing was read), and no wait in a page.
    expect(typeof r.totals.slowdownShare).toBe('number');
    expect(r.chargedMs).toBeGreaterThanOrEqual(0);
    expect(r.totals.waitShare).toBeNull();
  });

  it('left alone, the worker keeps measuring, resting about one step in REST_EVERY + 1 and more while it catches up', async () => {
    // A budget that never binds (the real worker does slow these 4-sample steps a little: 2–4% was charged at
    // 0.05, which then spaced snapshots out), so that the rests are the baseline's alone.
    const r = await run({ extraMs: 0, budget: 1000, heldFor: 12 });
    expect(r.posted).toBeGreaterThanOrEqual(10);
    expect(r.resting).toBeGreaterThanOrEqual(MIN_RESTING);
    expect(r.measuring).toBeGreaterThan(4 * r.resting);
    expect(r.totals.slowdownShare).toBeGreaterThanOrEqual(0);
  });

  it('with no budget to hold (budget: Infinity) the worker never rests, and no excess is read: slowdownShare is null', async () => {
    const r = await run({ extraMs: 0, budget: Infinity });
    expect(r.resting).toBe(0);
    expect(r.totals.slowdownShare).toBeNull();
  });
});

describe('measure() between a custom loop\'s training and its step()', () => {
  it('files no step that ran beside the measuring worker as resting', async () => {
    const model = rnn();
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(4);
    const watch = watchWorker();
    const realMark = SlowdownCharge.prototype.mark;
    const realStep = SlowdownCharge.prototype.step;
    let last: WorkerState | null = null;
    let besideMeasuring = false;
    const filed: { state: WorkerState | null; besideMeasuring: boolean }[] = [];
    const mark = vi.spyOn(SlowdownCharge.prototype, 'mark').mockImplementation(function (this: SlowdownCharge, state: WorkerState) {
      last = state;
      realMark.call(this, state);
    });
    const step = vi.spyOn(SlowdownCharge.prototype, 'step').mockImplementation(function (this: SlowdownCharge, ms: number) {
      filed.push({ state: (this as unknown as { state: WorkerState | null }).state, besideMeasuring });
      realStep.call(this, ms);
    });
    try {
      const monitor = gradscope({ probe: { xs, ys }, logdir: logdir(), console: false, every: 1, budget: 1000 });
      // The run starts; the worker loads and answers its cold snapshot.
      await monitor.step(model, { loss: 0 }, 1);
      const until = Date.now() + 60_000;
      while (watch.measured() < 1 && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await monitor.step(model, { loss: 0 }, 1);
      }
      for (let i = 0; i < 40; i++) {
        besideMeasuring = last === 'measuring'; // what the worker does over this step, as the monitor marked it
        const t0 = performance.now();
        const loss = (await model.trainOnBatch(xs, ys)) as number;
        const trainingMs = performance.now() - t0;
        if (i % 4 === 3) await monitor.measure(model); // the user measures now and then, before reporting the step
        await monitor.step(model, { loss }, trainingMs);
      }
      await monitor.close();
      expect(filed.filter((f) => f.besideMeasuring).length).toBeGreaterThan(5);
      expect(filed.filter((f) => f.besideMeasuring && f.state === 'resting')).toEqual([]);
    } finally {
      mark.mockRestore();
      step.mockRestore();
      tf.dispose([xs, ys]);
      model.dispose();
    }
  });
});
