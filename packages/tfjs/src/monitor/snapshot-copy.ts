import type * as tf from '@tensorflow/tfjs';
import { rebuildModel, setLayerWeights } from '../measure-worker/rebuild.js';
import type { RunPlan } from './run-start.js';
import { serialisableLoss } from './worker-init.js';
import type { UnmeasuredSnapshot } from './lost-snapshots.js';

/**
 * A copy of the run's model, rebuilt from its topology as the measurement
 * worker rebuilds it, for measuring on this thread the snapshots the worker
 * did not: the model being trained is never touched, whatever else reads it
 * meanwhile. Null where no copy can be built (the worker's own reasons: a
 * custom class, a loss that is not serialisable) or a snapshot does not
 * fit it; every snapshot is tried before any is measured. The caller
 * disposes the copy.
 */
export async function snapshotCopy(plan: RunPlan, snapshots: UnmeasuredSnapshot[]): Promise<tf.LayersModel | null> {
  let copy: tf.LayersModel | null = null;
  try {
    const found = plan.probe.ys != null ? serialisableLoss(plan.model) : { loss: null };
    if ('reason' in found) return null;
    copy = await rebuildModel(plan.model.toJSON(null, true) as string, found.loss);
    for (const snapshot of snapshots) setLayerWeights(copy, snapshot.weights);
    return copy;
  } catch {
    copy?.dispose();
    return null;
  }
}

/**
 * Measures, on this thread, the snapshots the worker did not, in step order,
 * on a copy (above), each by `measure`; with none, or where no copy can be
 * built, `none()` instead (the run's final weights).
 */
export async function measureOnCopy(
  plan: RunPlan,
  snapshots: UnmeasuredSnapshot[],
  measure: (copy: tf.LayersModel, snapshot: UnmeasuredSnapshot) => Promise<void>,
  none: () => Promise<void>,
): Promise<void> {
  const copy = snapshots.length > 0 ? await snapshotCopy(plan, snapshots) : null;
  if (!copy) return none();
  try {
    for (const snapshot of snapshots) {
      setLayerWeights(copy, snapshot.weights);
      await measure(copy, snapshot);
    }
  } finally {
    copy.dispose();
  }
}
