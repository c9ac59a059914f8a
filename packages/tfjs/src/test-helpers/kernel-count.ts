import * as tf from '@tensorflow/tfjs';

/**
 * Counts the kernels tfjs runs from now until stop() (tf.engine().runKernel
 * wrapped, then restored): for tests that check a path runs no device work.
 */
export function countingKernels(): { stop(): number } {
  const engine = tf.engine() as unknown as { runKernel: (...args: unknown[]) => unknown };
  const original = engine.runKernel;
  let count = 0;
  engine.runKernel = function (this: unknown, ...args: unknown[]) {
    count++;
    return original.apply(this, args);
  };
  return {
    stop: () => {
      engine.runKernel = original;
      return count;
    },
  };
}
