/**
 * A copy of a model to measure a snapshot with: rebuilt from its topology
 * (model.toJSON), compiled with its loss names, given the snapshot's
 * weights. The worker measures on one; so does the training thread when it
 * measures a snapshot the worker did not get to (at a run's end), which
 * leaves the model being trained untouched.
 */
import * as tf from '@tensorflow/tfjs';
import type { InitMessage, TensorValues } from './messages.js';

/**
 * The topology with every initializer replaced by zeros: the snapshot
 * overwrites every weight before anything is measured, and rebuilding with
 * the model's own initializers would spend the time on them (an orthogonal
 * recurrent kernel is a QR decomposition per layer, and tfjs warns about
 * its cost above 2000 entries).
 */
export function withoutInitializers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutInitializers);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key, key.endsWith('_initializer') && v && typeof v === 'object' ? { class_name: 'Zeros', config: {} } : withoutInitializers(v)]),
  );
}

export function toTensor(t: TensorValues): tf.Tensor {
  return tf.tensor(t.values, t.shape, t.dtype);
}

/** The model of `modelJson` (model.toJSON's string), compiled with `loss` when given (the optimizer is never used: compile only installs the loss measureModel differentiates). */
export async function rebuildModel(modelJson: string, loss: InitMessage['loss']): Promise<tf.LayersModel> {
  const model = await tf.models.modelFromJSON(withoutInitializers(JSON.parse(modelJson)) as Parameters<typeof tf.models.modelFromJSON>[0]);
  if (loss !== null) model.compile({ optimizer: 'sgd', loss });
  return model;
}

/** Sets the weights of the named layers (setWeights, as a layer's own weights are set: constraints apply). */
export function setLayerWeights(model: tf.LayersModel, weights: { layer: string; values: TensorValues[] }[]): void {
  for (const { layer, values } of weights) {
    const tensors = values.map(toTensor);
    try {
      model.getLayer(layer).setWeights(tensors);
    } finally {
      tf.dispose(tensors);
    }
  }
}
