import * as tf from '@tensorflow/tfjs';

/**
 * A custom cell of `units` units whose gradient throws 'this cell has no
 * gradient': a SimpleRNN cell whose new state goes through an identity
 * with a throwing backward. For tests of what a failed gradient pass leaves
 * behind (tfjs keeps its tape's saved tensors when a pass throws).
 */
export function noGradientCell(units: number): tf.layers.RNNCell {
  // tfjs does not export the SimpleRNNCell class; its constructor is reached through an instance.
  const SimpleRNNCellClass = tf.layers.simpleRNNCell({ units: 1 }).constructor as new (args: { units: number }) => ReturnType<typeof tf.layers.simpleRNNCell>;
  const throwing = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.mul(args[0] as tf.Tensor, 1),
    gradFunc: () => {
      throw new Error('this cell has no gradient');
    },
  }));
  class NoGradientCell extends SimpleRNNCellClass {
    static className = 'NoGradientCell';
    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor[] {
      return tf.tidy(() => {
        const [out] = super.call(inputs, kwargs) as tf.Tensor[];
        const h = throwing(out!) as tf.Tensor;
        return [h, h];
      });
    }
  }
  return new NoGradientCell({ units });
}
