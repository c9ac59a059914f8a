/**
 * When to measure. A measurement is due when at least `every` steps have
 * passed since the last one and the monitor's total time (with a worker,
 * also the training thread's wait for a core while the worker measured;
 * less training's collections that ran in its yields, see refund()),
 * plus the expected cost of this measurement (the last one's; with a
 * worker, the snapshot's), stays within `budget` of the training time so
 * far. The first step is always measured: it is the baseline every later
 * measurement is compared with. It is also not charged
 * to the budget nor taken as the expected cost: it carries one-time warm-up
 * (backend kernels compiled, the dashboard server started) that made it 3–5×
 * a later measurement and held the next one off for 160 steps.
 */
export class Cadence {
  private trainingMs = 0;
  private monitorMs = 0;
  private lastMeasurementMs = 0;
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

  /**
   * Time the monitor spent (every hook, every measurement; with a worker,
   * also the training thread's wait for a core while it measured, see
   * run-queue-charge.ts).
   */
  addMonitor(ms: number): void {
    if (!(ms > 0 && Number.isFinite(ms))) return;
    const waived = Math.min(ms, this.forgiven);
    this.forgiven -= waived;
    this.monitorMs += ms - waived;
  }

  /** Takes `ms` back off the monitor's time: work it was charged for that was not its own (see yield-collections.ts). */
  refund(ms: number): void {
    if (ms > 0 && Number.isFinite(ms)) this.monitorMs = Math.max(0, this.monitorMs - ms);
  }

  isDue(step: number): boolean {
    if (this.lastMeasuredStep === null) return true;
    if (step - this.lastMeasuredStep < this.every) return false;
    return this.monitorMs + this.lastMeasurementMs <= this.budget * this.trainingMs;
  }

  measured(step: number, ms: number): void {
    if (this.lastMeasuredStep === null) {
      this.forgiven += ms; // the baseline is free
      this.lastMeasuredStep = step;
      return; // the second measurement runs after `every` steps and sets the real cost
    }
    this.lastMeasuredStep = step;
    this.lastMeasurementMs = ms;
  }

  /** Monitor time over training time so far (the overhead the budget bounds). */
  get overhead(): number {
    return this.trainingMs > 0 ? this.monitorMs / this.trainingMs : 0;
  }
}
