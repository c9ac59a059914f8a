/**
 * When to measure. A measurement is due when at least `every` steps have
 * passed since the last one and the monitor's total time, plus the expected
 * cost of this measurement (the last one's), stays within `budget` of the
 * training time so far. The first step is always measured: it is the
 * baseline every later measurement is compared with.
 */
export class Cadence {
  private trainingMs = 0;
  private monitorMs = 0;
  private lastMeasurementMs = 0;
  private lastMeasuredStep: number | null = null;

  constructor(
    private readonly every: number,
    private readonly budget: number,
  ) {}

  /** Time spent in the training step itself (onBatchBegin → onBatchEnd). */
  addTraining(ms: number): void {
    if (ms > 0 && Number.isFinite(ms)) this.trainingMs += ms;
  }

  /** Time the monitor spent (every hook, every measurement). */
  addMonitor(ms: number): void {
    if (ms > 0 && Number.isFinite(ms)) this.monitorMs += ms;
  }

  isDue(step: number): boolean {
    if (this.lastMeasuredStep === null) return true;
    if (step - this.lastMeasuredStep < this.every) return false;
    return this.monitorMs + this.lastMeasurementMs <= this.budget * this.trainingMs;
  }

  measured(step: number, ms: number): void {
    this.lastMeasuredStep = step;
    this.lastMeasurementMs = ms;
  }

  /** Monitor time over training time so far (the overhead the budget bounds). */
  get overhead(): number {
    return this.trainingMs > 0 ? this.monitorMs / this.trainingMs : 0;
  }
}
