/**
 * When to measure. A measurement is due when at least `every` steps have
 * passed since the last one and two accounts each stay within `budget` of
 * the training time so far, counting the expected cost of this
 * measurement (the last one's):
 * - the monitor's own time on the training thread: every hook, every
 *   measurement made there (with a worker, the snapshot), less training's
 *   collections that ran in its yields (see refund());
 * - with a worker, what the worker cost training per measurement: the
 *   larger of the training thread's wait for a core while it measured
 *   (run-queue-charge.ts) and how much longer training steps took while it
 *   measured than while it rested (slowdown-charge.ts). The larger, not the
 *   sum: a step's wall time holds its wait.
 * Why two: the budget is the training thread's share, and the worker's cost
 * is not work the thread does but what the worker's core costs it; each is held
 * to the budget on its own, so a run with a worker may slow by about
 * twice the budget where cores are few. Side by side on 2 cores
 * (SimpleRNN n = 64, T = 50, `every: 1`, 400 steps, six runs each; the
 * sixteenth round of bench/RESULTS.md): charged to one account, the wait
 * and the hooks together allowed one measurement per 2.1–3.8 steps; held
 * apart (the wait alone on the worker's account then), one per 1.7–1.8, at the same wall time over plain training
 * (medians 1.09 and 1.09; runs 1.04–1.14 with two accounts, 1.04–1.54
 * with one, whose worst met a busy host).
 * The first step is always measured: it is the baseline every later
 * measurement is compared with. It is also not charged
 * to the budget nor taken as the expected cost: it carries one-time warm-up
 * (backend kernels compiled, the dashboard server started) that made it 3–5×
 * a later measurement and held the next one off for 160 steps.
 * The training thread's takeover from a worker given up on is waived the same
 * way (measured(…, { once: true })): the snapshots the worker left, measured
 * cold on a model copy rebuilt for them, or the thread's first measurement of
 * its own, cold and compiling its kernels. Charged as a measurement, the
 * takeover (178 ms against a 25 ms step) held the thread's next one off
 * for the remaining 104 steps of a 200-step run.
 */
export class Cadence {
  private trainingMs = 0;
  private monitorMs = 0;
  private lastMeasurementMs = 0;
  /** The worker's account: per measurement the larger of the two charges below. */
  private workerMs = 0;
  private lastWorkerMs = 0;
  /** The two charges, summed apart for the run's report. */
  private waitMs = 0;
  private slowdownMs = 0;
  private lastMeasuredStep: number | null = null;
  /** Time of the baseline measurement, not yet taken off the next addMonitor(). */
  private forgiven = 0;

  constructor(
    private readonly every: number,
    private readonly budget: number,
  ) {}

  /** Time spent in the training step itself (onBatchBegin → onBatchEnd). */
  addTraining(ms: number): void {
    if (ms > 0 && Number.isFinite(ms)) this.trainingMs += ms;
  }

  /** Time the monitor spent on the training thread (every hook, every measurement made there). */
  addMonitor(ms: number): void {
    if (!(ms > 0 && Number.isFinite(ms))) return;
    const waived = Math.min(ms, this.forgiven);
    this.forgiven -= waived;
    this.monitorMs += ms - waived;
  }

  /**
   * What the worker cost training for one measurement: the training thread's
   * wait for a core (run-queue-charge.ts) and its steps' excess over resting
   * ones (slowdown-charge.ts), as charged. A figure that is negative or not
   * finite counts as 0.
   */
  addWorkerCost(waitMs: number, slowdownMs = 0): void {
    const wait = waitMs >= 0 && Number.isFinite(waitMs) ? waitMs : 0;
    const slowdown = slowdownMs >= 0 && Number.isFinite(slowdownMs) ? slowdownMs : 0;
    const cost = Math.max(wait, slowdown);
    this.waitMs += wait;
    this.slowdownMs += slowdown;
    this.workerMs += cost;
    this.lastWorkerMs = cost;
  }

  /** Takes `ms` back off the monitor's time: work it was charged for that was not its own (see yield-collections.ts). */
  refund(ms: number): void {
    if (ms > 0 && Number.isFinite(ms)) this.monitorMs = Math.max(0, this.monitorMs - ms);
  }

  isDue(step: number): boolean {
    if (this.lastMeasuredStep === null) return true;
    if (step - this.lastMeasuredStep < this.every) return false;
    // budget: Infinity allows anything, before any training time too (∞ · 0 would be NaN, and nothing would be due).
    const allowed = this.budget === Infinity ? Infinity : this.budget * this.trainingMs;
    return this.monitorMs + this.lastMeasurementMs <= allowed && this.workerMs + this.lastWorkerMs <= allowed;
  }

  /** A measurement the user asked for at `step` (not charged): the cadence does not measure that step again. */
  covered(step: number): void {
    if (this.lastMeasuredStep === null || step > this.lastMeasuredStep) this.lastMeasuredStep = step;
  }

  /** A measurement at `step` that took `ms`; `once`: a one-time cost, waived as the baseline's is (the takeover from a worker). */
  measured(step: number, ms: number, { once = false }: { once?: boolean } = {}): void {
    const first = this.lastMeasuredStep === null;
    this.lastMeasuredStep = step;
    if (first || once) {
      this.forgiven += ms; // free, and not what the next one is expected to cost
      this.lastMeasurementMs = 0; // the next runs after `every` steps and sets the real cost
      return;
    }
    this.lastMeasurementMs = ms;
  }

  /** Whether any training time was recorded (a custom loop may give none): without it the shares below mean nothing. */
  get trainingRecorded(): boolean {
    return this.trainingMs > 0;
  }

  /** The monitor's time on the training thread over training time so far (one account the budget bounds). */
  get overhead(): number {
    return this.trainingMs > 0 ? this.monitorMs / this.trainingMs : 0;
  }

  /** The training thread's wait beside the worker, as charged, over training time so far. */
  get waitShare(): number {
    return this.trainingMs > 0 ? this.waitMs / this.trainingMs : 0;
  }

  /** Training steps' excess beside the measuring worker over resting ones, as charged, over training time so far. */
  get slowdownShare(): number {
    return this.trainingMs > 0 ? this.slowdownMs / this.trainingMs : 0;
  }

  /**
   * The run-end's shares: the wait only where it was read (`waitRead`: with
   * a worker, on Linux), the slowdown only where a warm worker measured
   * (`slowdownRead`); none at all without training time (a custom loop's
   * step() calls gave none), rather than a 0%.
   */
  shares(waitRead: boolean, slowdownRead: boolean): { monitorShare?: number; waitShare?: number | null; slowdownShare?: number | null } {
    if (!this.trainingRecorded) return {};
    return { monitorShare: this.overhead, waitShare: waitRead ? this.waitShare : null, slowdownShare: slowdownRead ? this.slowdownShare : null };
  }

  /** The worker's account (per measurement the larger of the two) over training time so far. */
  get workerShare(): number {
    return this.trainingMs > 0 ? this.workerMs / this.trainingMs : 0;
  }
}
