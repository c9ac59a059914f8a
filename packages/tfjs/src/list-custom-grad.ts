import * as tf from '@tensorflow/tfjs';

/** A backward given the one cotangent of the output: gradients for the inputs, in their order. */
export type ListBackward = (dy: tf.Tensor) => tf.Tensor | tf.Tensor[];

/**
 * tf.customGrad with its inputs as a list and its backward handed one
 * tensor. Why: tfjs's own signature passes the inputs variadically with its
 * `save` function last, and hands the backward a tensor or a list of one
 * tensor; every custom gradient of the probe re-run (the fast steps, the
 * input projection, the taps, the untaped recordings, the stack whose
 * gradient is a host cut) had unpicked both itself.
 */
export function listCustomGrad(f: (inputs: tf.Tensor[]) => { value: tf.Tensor; gradFunc: ListBackward }): (...inputs: tf.Tensor[]) => tf.Tensor {
  const g = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const { value, gradFunc } = f(args.slice(0, -1) as tf.Tensor[]);
    return { value, gradFunc: (dy: tf.Tensor | tf.Tensor[]) => gradFunc(Array.isArray(dy) ? dy[0]! : dy) };
  });
  return (...inputs) => g(...inputs);
}
