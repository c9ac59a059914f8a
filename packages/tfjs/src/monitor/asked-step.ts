import type * as tf from '@tensorflow/tfjs';

/**
 * Which training step a measurement asked for now (monitor.measure())
 * belongs to: the step whose update the weights hold.
 *
 * Why not the session's step counter: the counter moves on when a step is
 * recorded (gradscope's onBatchEnd, or a custom loop's step()), while the
 * weights move on when the optimizer applies an update. Called from a
 * callback after gradscope's, the update of step i is recorded and the
 * counter reads i + 1; from a callback before gradscope's, or between a
 * custom loop's training and its step(), it is not yet recorded and the
 * counter reads i. The optimizer's own count of applied updates (every tfjs
 * optimizer keeps one) tells the two apart: an update since the last record
 * means the weights belong to the step about to be recorded.
 *
 * The count is trusted only once it has moved between two records: a
 * user-written optimizer may never count (tf.Optimizer's count then stays
 * 0), and a custom loop may train with an optimizer that is not the
 * model's. Until then, and where there is no count, the counter labels the
 * measurement, as before, and the cadence may measure that step again.
 */
export class AskedStep {
  private updatesAtRecord: number | null;
  /** Whether the count moved over every recorded step since the first (null: not known yet). */
  private counts: boolean | null = null;
  private recordedOnce = false;

  constructor(private readonly model: tf.LayersModel) {
    this.updatesAtRecord = appliedUpdates(model);
  }

  /**
   * Called as each training step is recorded. The first record only sets the mark: a run opened by a custom
   * loop's first step() (or with tap(), at fit's first batch end) took its count after that step's update.
   */
  recorded(): void {
    const updates = appliedUpdates(this.model);
    if (this.recordedOnce) {
      const moved = updates !== null && this.updatesAtRecord !== null && updates > this.updatesAtRecord;
      this.counts = (this.counts ?? true) && moved;
    }
    this.recordedOnce = true;
    this.updatesAtRecord = updates;
  }

  /**
   * The step a measurement now belongs to, given the session's counter (the
   * step to be recorded next), and whether that step is known to be still
   * unrecorded (then the cadence must not measure it again).
   */
  now(counter: number): { step: number; unrecorded: boolean } {
    const updates = appliedUpdates(this.model);
    if (this.counts !== true || updates === null || this.updatesAtRecord === null) return { step: counter, unrecorded: false };
    if (updates > this.updatesAtRecord) return { step: counter, unrecorded: true };
    return { step: Math.max(0, counter - 1), unrecorded: false };
  }
}

/** The model's optimizer's count of applied updates, or null without an optimizer that keeps one. */
function appliedUpdates(model: tf.LayersModel): number | null {
  const count = (model.optimizer as { iterations?: unknown } | undefined)?.iterations;
  return typeof count === 'number' && Number.isFinite(count) ? count : null;
}
