import * as tf from '@tensorflow/tfjs';
import type { ClipReport } from '../with-clipping.js';
import type { EventDraft } from './event-stream.js';

export type TrainStepDraft = Extract<EventDraft, { type: 'train-step' }>;

/** A log value as a number: fit gives numbers, a custom loop may pass a scalar tensor (read unless already disposed). */
function scalarOf(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (v instanceof tf.Tensor && !v.isDisposed) return v.dataSync()[0] ?? null;
  return null;
}

/**
 * The step's logs with every scalar tensor read (awaited, not dataSync): fit()
 * hands callbacks the loss as a tensor, and on WebGL reading it waits for
 * the step's work on the GPU. That wait is training's time; read inside the
 * monitor's clock it was charged as the monitor's (51% of training on a GRU
 * with gradientNorms: false, found by a review), and the cadence then held
 * measurements back. Disposed tensors, tensors that cannot be read and other
 * values are left as they are.
 */
export async function readLogs(logs: tf.Logs): Promise<tf.Logs> {
  const entries = await Promise.all(
    Object.entries(logs).map(async ([key, value]): Promise<[string, unknown]> => {
      const v = value as unknown;
      if (!(v instanceof tf.Tensor) || v.isDisposed) return [key, v];
      try {
        // As scalarOf read them: the first entry (fit's logs are scalars).
        const first = (await v.data())[0];
        return [key, typeof first === 'number' ? first : null];
      } catch {
        // Left for the step's record, where a failure is an alert, not an error thrown into training.
        return [key, v];
      }
    }),
  );
  return Object.fromEntries(entries) as tf.Logs;
}

/**
 * The train-step event of one step: the loss and metrics from the step's
 * logs (fit's bookkeeping keys `batch` and `size` are not metrics) and the
 * gradient norms, learning rate and clip threshold from the optimizer's
 * last report of the step (null without one: no optimizer step was seen).
 */
export function trainStepEvent(logs: tf.Logs, report: ClipReport | null): TrainStepDraft {
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(logs)) {
    if (key === 'loss' || key === 'batch' || key === 'size') continue;
    const v = scalarOf(value);
    if (v !== null) metrics[key] = v;
  }
  return {
    type: 'train-step',
    loss: scalarOf(logs.loss),
    metrics,
    gradNormBefore: report?.globalNormBefore ?? null,
    gradNormAfter: report?.globalNormAfter ?? null,
    learningRate: report?.learningRate ?? null,
    ...(report?.threshold != null ? { clipThreshold: report.threshold } : {}),
  };
}
