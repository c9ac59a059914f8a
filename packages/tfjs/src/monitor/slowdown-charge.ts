/**
 * How much longer training steps take while the measurement worker works
 * than while it rests: the worker's cost to training as the clock sees it,
 * which the budget holds on the same account as the run-queue wait
 * (run-queue-charge.ts, cadence.ts).
 *
 * Why, beside the wait: the wait is not all a worker on another core costs
 * training, and on a shared host not the largest part (SimpleRNN n = 64,
 * T = 50, `every: 1`, 2 cores; bench/RESULTS.md). Over whole runs on a busy
 * afternoon the training thread's own CPU time for the same steps rose by a
 * third beside the worker (nineteenth round: the kernel's per-thread
 * records; they do not tell whether from shared caches, the host taking the
 * CPU away, which this virtual machine counts as CPU time, or collection),
 * and such a run read 1.406 of plain training at a budget of 5%. In 8-step
 * chunks beside a second busy process, training's wall time rose 5–14%
 * while its wait rose 2–9% (twentieth round). A step's wall time holds all
 * of it, and where the OS keeps no per-thread records (a page, macOS,
 * Windows) it is the only figure there is.
 *
 * How: each training step's wall time (onBatchBegin → onBatchEnd, the
 * figure the budget's training time is made of) is filed by what the
 * worker did over it: measuring (a snapshot in its hands, past its
 * warm-up) or resting (nothing to do). Each measuring step adds the excess
 * of the median of the last MEASURING_SAMPLES measuring steps over the
 * median of the last RESTING_SAMPLES resting steps, less one standard
 * error of that difference (see squaredError; 0 where it is below),
 * held until the worker's reply and charged then, at most the worker's own
 * time for that measurement (as the wait is: a longer excess is other load).
 * Steps while the worker starts are neither: it is busy then, but with
 * one-time work the budget does not charge.
 *
 * Why medians on both sides: step times are skewed (a collection, a slow
 * batch now and then). Summing each measuring step's excess over a resting
 * median charges the mean's distance from the median as the worker's cost:
 * a review measured 7.5% of training time charged that way on the step
 * times of plain training, with no worker at all, and 27% on steady 10 ms
 * steps with a 30 ms one every fifth. A one-off slow step is not the
 * worker's steady cost; a level that moves is.
 *
 * Rests: at `every: 1` a worker whose measurement outlasts a step always
 * has a snapshot in hand (the monitor posts while it measures, keeping the
 * newest), so it would never rest and no baseline would form. restWanted
 * asks RunSession to post nothing until the worker has caught up, and then
 * for one step more: after its cold reply until MIN_RESTING resting steps
 * exist, every EARLY_REST_EVERY measuring steps until RESTING_SAMPLES do,
 * then after REST_EVERY measuring steps without a rest. Each rest
 * costs the worker the rest of the measurement it is on plus a step.
 */
import { median } from './median.js';

/** Resting steps whose median is the baseline. */
export const RESTING_SAMPLES = 7;
/** Resting steps needed before anything is charged. */
export const MIN_RESTING = 3;
/** Measuring steps whose median is read against the baseline. */
export const MEASURING_SAMPLES = 15;
/** Measuring steps needed before anything is charged. */
export const MIN_MEASURING = 3;
/**
 * Measuring steps after which the worker rests, to keep the baseline fresh.
 * 16 cost a quarter of the measurements on the done-when's row (one per
 * 1.8–1.9 steps against 1.35–1.55 without rests; twenty-first round).
 */
export const REST_EVERY = 32;
/**
 * Measuring steps between rests until RESTING_SAMPLES resting steps exist.
 * Why: the first rests follow the worker's cold reply, often still inside
 * training's own warm-up (steps of 95–142 ms where later ones took 40–50 in
 * a test run), and at one rest per REST_EVERY such a baseline would stand
 * for hundreds of steps and hide the excess; four more rests soon after
 * outvote them in the median.
 */
export const EARLY_REST_EVERY = 4;

/** What the worker did over one training step. */
export type WorkerState = 'measuring' | 'resting' | 'other';

export class SlowdownCharge {
  /** The state marked for the coming step, or null when none was. */
  private state: WorkerState | null = null;
  private readonly resting: number[] = [];
  private readonly measuring: number[] = [];
  private measuringSinceRest = 0;
  /** Excess held for the worker's next reply (ms). */
  private pending = 0;
  private read = false;

  /** At the end of a step's recording: what the worker does over the next training step. */
  mark(state: WorkerState): void {
    this.state = state;
  }

  /** A training step's wall time (ms), filed by the state marked before it. */
  step(ms: number): void {
    const state = this.state;
    this.state = null;
    if (state === null || state === 'other' || !(ms >= 0 && Number.isFinite(ms))) return;
    if (state === 'resting') {
      keepLast(this.resting, ms, RESTING_SAMPLES);
      this.measuringSinceRest = 0;
      return;
    }
    keepLast(this.measuring, ms, MEASURING_SAMPLES);
    this.measuringSinceRest++;
    const excess = this.excess;
    if (excess === null) return;
    this.read = true;
    this.pending += excess;
  }

  /** The median resting step (ms), or null before MIN_RESTING of them. */
  get baseline(): number | null {
    return this.resting.length < MIN_RESTING ? null : median(this.resting);
  }

  /**
   * The median measuring step's excess over the baseline beyond what the
   * steps' own spread makes of the difference of two medians (ms, at least
   * 0), or null before there are enough of either (see squaredError).
   */
  get excess(): number | null {
    const base = this.baseline;
    if (base === null || this.measuring.length < MIN_MEASURING) return null;
    const spread = Math.sqrt(squaredError(this.resting) + squaredError(this.measuring));
    return Math.max(0, median(this.measuring) - base - spread);
  }

  /** Whether the worker should rest: too few resting steps yet, or none for REST_EVERY measuring ones (EARLY_REST_EVERY until the window is full). */
  get restWanted(): boolean {
    if (this.resting.length < MIN_RESTING) return true;
    return this.measuringSinceRest >= (this.resting.length < RESTING_SAMPLES ? EARLY_REST_EVERY : REST_EVERY);
  }

  /** Whether any measuring step was read against a baseline: without one, a share of 0 would claim what was never measured. */
  get everRead(): boolean {
    return this.read;
  }

  /** The worker answered a measurement that took `workerMs` of its time: the excess to charge now (ms). */
  settle(workerMs: number): number {
    // What the cap leaves is other load, and goes.
    const charged = Math.min(this.pending, Math.max(0, Number.isFinite(workerMs) ? workerMs : 0));
    this.pending = 0;
    return charged;
  }
}

/**
 * The squared standard error of the median of `values`, from their median
 * absolute deviation: for a normal spread σ ≈ 1.4826·MAD, and the median of
 * n samples has a standard error of about 1.2533·σ/√n.
 *
 * Why: with no true excess, max(0, difference of two medians) still averages
 * about 0.4 of its standard error, and on 63 ms steps whose medians move by a
 * millisecond or two that was 1.8–2.6% of training time charged on a quiet
 * host, enough to space the snapshots out (bench/RESULTS.md, twenty-first
 * round). Taking one standard error off leaves a true excess of several of
 * them almost whole, and charges noise rarely.
 */
function squaredError(values: readonly number[]): number {
  const mid = median(values);
  const sigma = 1.4826 * median(values.map((v) => Math.abs(v - mid)));
  return (1.2533 * sigma) ** 2 / values.length;
}

function keepLast(samples: number[], value: number, count: number): void {
  samples.push(value);
  if (samples.length > count) samples.shift();
}
