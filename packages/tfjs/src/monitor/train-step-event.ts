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
