/** Small models and data for the tests of measuring in a worker (monitor/worker-*.test.ts). */
import * as tf from '@tensorflow/tfjs';

export const T = 10;

/** `samples` random sequences [samples, T, 2] and their targets. */
export function data(samples: number): { xs: tf.Tensor3D; ys: tf.Tensor2D } {
  const xs = tf.randomNormal([samples, T, 2], 0, 1, 'float32', 4) as tf.Tensor3D;
  const ys = tf.sum(xs.slice([0, 0, 0], [-1, 3, 1]), 1) as tf.Tensor2D;
  return { xs, ys };
}

/** A layer the training thread knows and the worker's tfjs does not. */
export class Doubling extends tf.layers.Layer {
  static className = 'Doubling';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.mul(Array.isArray(inputs) ? inputs[0]! : inputs, 2);
  }
}
tf.serialization.registerClass(Doubling);

/** GRU → SimpleRNN → Dense, with a Doubling layer first when `custom`. */
export function rnn(options: { custom?: boolean } = {}): tf.Sequential {
  const model = tf.sequential();
  if (options.custom) model.add(new Doubling({ inputShape: [T, 2] }));
  model.add(tf.layers.gru({ units: 6, ...(options.custom ? {} : { inputShape: [T, 2] }), returnSequences: true }));
  model.add(tf.layers.simpleRNN({ units: 5 }));
  model.add(tf.layers.dense({ units: 1 }));
  return model;
}
