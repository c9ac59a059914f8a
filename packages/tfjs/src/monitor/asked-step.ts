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
 */
export class AskedStep {
  private updatesAtRecord: number | null;

  constructor(private readonly model: tf.LayersModel) {
    this.updatesAtRecord = appliedUpdates(model);
  }

  /** Called as each training step is recorded. */
  recorded(): void {
    this.updatesAtRecord = appliedUpdates(this.model);
  }

  /**
   * The step a measurement now belongs to, given the session's counter (the
   * step to be recorded next), and whether that step is still to be
   * recorded (then the cadence must not measure it again). Where the
   * optimizer keeps no count, the counter, as before.
   */
  now(counter: number): { step: number; unrecorded: boolean } {
    const updates = appliedUpdates(this.model);
    if (updates === null || this.updatesAtRecord === null || updates > this.updatesAtRecord) return { step: counter, unrecorded: true };
    // Before any step (counter 0) the weights are the initial ones: step 0's label, but step 0's own update is still to be measured.
    return { step: Math.max(0, counter - 1), unrecorded: false };
  }
}

/** The model's optimizer's count of applied updates, or null without an optimizer that keeps one. */
function appliedUpdates(model: tf.LayersModel): number | null {
  const count = (model.optimizer as { iterations?: unknown } | undefined)?.iterations;
  return typeof count === 'number' && Number.isFinite(count) ? count : null;
}
