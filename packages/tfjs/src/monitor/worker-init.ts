import * as tf from '@tensorflow/tfjs';
import type { InitMessage } from '../measure-worker/messages.js';
import type { Probe } from '../probe.js';
import { compiledLossFunctions } from '../tfjs-internals.js';
import { tensorValues } from './weight-snapshot.js';
import { classesOnlyHere } from './worker-classes.js';

const list = (t: tf.Tensor | tf.Tensor[]) => (Array.isArray(t) ? t : [t]);

/**
 * The loss as compile() took it, when a worker can compile the same one:
 * loss names ('meanSquaredError', or one per output). A loss function is
 * code the worker does not have; the reason says so.
 */
export function serialisableLoss(model: tf.LayersModel): { loss: InitMessage['loss'] } | { reason: string } {
  if (compiledLossFunctions(model) === null) return { loss: null };
  const loss = (model as unknown as { loss?: unknown }).loss;
  const named = (v: unknown) => typeof v === 'string';
  if (named(loss)) return { loss: loss as string };
  if (Array.isArray(loss) && loss.every(named)) return { loss: loss as string[] };
  if (loss && typeof loss === 'object' && !Array.isArray(loss) && Object.values(loss).every(named)) return { loss: loss as Record<string, string> };
  return { reason: "the model's loss is a function, which a worker cannot rebuild (compile with a loss name such as 'meanSquaredError' to measure in a worker)" };
}

/**
 * What a worker needs to measure this model, sent once at the start: its
 * topology, its loss (when the probe has targets), the probe's values and
 * the measurement options. Throws naming the reason when the model cannot
 * be described to a worker, or uses a class the worker would not have
 * (worker-classes.ts).
 */
export async function workerInit(model: tf.LayersModel, probe: Probe, measure: InitMessage['measure']): Promise<{ init: InitMessage; transfer: ArrayBuffer[] }> {
  let loss: InitMessage['loss'] = null;
  if (probe.ys != null) {
    const found = serialisableLoss(model);
    if ('reason' in found) throw new Error(found.reason);
    loss = found.loss;
  }
  let modelJson: string;
  try {
    modelJson = model.toJSON(null, true) as string;
  } catch (err) {
    throw new Error(`the model cannot be serialised for a worker (${(err as Error).message.split('\n')[0]})`);
  }
  const custom = classesOnlyHere(modelJson);
  if (custom.length > 0) {
    const names = custom.map((c) => `'${c}'`).join(', ');
    throw new Error(`the model uses ${custom.length === 1 ? 'a class' : 'classes'} registered in this program only (${names}), which a worker's tfjs does not have`);
  }
  const xs = await Promise.all(list(probe.xs).map(tensorValues));
  const ys = probe.ys != null ? await Promise.all(list(probe.ys).map(tensorValues)) : null;
  const init: InitMessage = { type: 'init', modelJson, loss, probe: { xs, ys }, measure, trainingBackend: tf.getBackend(), backend: null };
  return { init, transfer: [...xs, ...(ys ?? [])].map((v) => v.values.buffer as ArrayBuffer) };
}
