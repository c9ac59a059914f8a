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
 * warm-up) or resting (nothing to do). The baseline is the median of the
 * last RESTING_SAMPLES resting steps; a measuring step's excess over it is
 * held until the worker's reply and charged then, at most the worker's own
 * time for that measurement (as the wait is: a longer excess is other load).
 * Steps while the worker starts are neither: it is busy then, but with
 * one-time work the budget does not charge.
 *
 * Where the worker never rests (a cheap model at `every: 1`, within
 * budget), the baseline would go stale: restWanted asks RunSession for a
 * step of rest after REST_EVERY measuring steps without one, and until the
 * first MIN_RESTING baseline steps exist. Each rest holds the next snapshot
 * back one step: about one step in REST_EVERY + 1, so about that share of
 * the measurements.
 *
 * Noise: a step's time moves by a few percent on a quiet host. An excess
 * below the baseline is kept as a credit (down to minus one baseline step)
 * rather than dropped, so noise of either sign cancels over a run instead of
 * adding up to a charge.
 */

/** Resting steps whose median is the baseline. */
export const RESTING_SAMPLES = 7;
/** Resting steps needed before anything is charged. */
export const MIN_RESTING = 3;
/** Measuring steps after which the worker rests a step, to keep the baseline fresh. */
export const REST_EVERY = 16;

/** What the worker did over one training step. */
export type WorkerState = 'measuring' | 'resting' | 'other';

export class SlowdownCharge {
  /** The state marked for the coming step, or null when none was. */
  private state: WorkerState | null = null;
  private readonly resting: number[] = [];
  private measuringSinceRest = 0;
  /** Excess held for the worker's next reply (ms); negative: a credit. */
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
      this.resting.push(ms);
      if (this.resting.length > RESTING_SAMPLES) this.resting.shift();
      this.measuringSinceRest = 0;
      return;
    }
    this.measuringSinceRest++;
    const base = this.baseline;
    if (base === null) return;
    this.read = true;
    this.pending = Math.max(-base, this.pending + ms - base);
  }

  /** Whether any measuring step was read against a baseline: without one, a share of 0 would claim what was never measured. */
  get everRead(): boolean {
    return this.read;
  }

  /** The median resting step (ms), or null before MIN_RESTING of them. */
  get baseline(): number | null {
    if (this.resting.length < MIN_RESTING) return null;
    const sorted = [...this.resting].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  }

  /** Whether the worker should rest the next step: too few resting steps yet, or none for REST_EVERY measuring ones. */
  get restWanted(): boolean {
    return this.resting.length < MIN_RESTING || this.measuringSinceRest >= REST_EVERY;
  }

  /** The worker answered a measurement that took `workerMs` of its time: the excess to charge now (ms). */
  settle(workerMs: number): number {
    const charged = Math.min(Math.max(0, this.pending), Math.max(0, Number.isFinite(workerMs) ? workerMs : 0));
    // What the cap left is other load, and goes; a credit stays.
    this.pending = Math.min(0, this.pending);
    return charged;
  }
}
