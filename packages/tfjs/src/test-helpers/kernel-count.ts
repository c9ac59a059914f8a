import * as tf from '@tensorflow/tfjs';

/**
 * Counts the kernels tfjs runs from now until stop() (tf.engine().runKernel
 * wrapped, then restored): for tests that check a path runs no device work,
 * or, given a kernel name ('Identity', 'BatchMatMul'), how many of those it
 * runs; `count` reads the tally so far.
 */
export function countingKernels(name?: string): { readonly count: number; stop(): number } {
  const engine = tf.engine() as unknown as { runKernel: (...args: unknown[]) => unknown };
  const original = engine.runKernel;
  let count = 0;
  engine.runKernel = function (this: unknown, ...args: unknown[]) {
    if (name === undefined || args[0] === name) count++;
    return original.apply(this, args);
  };
  return {
    get count() {
      return count;
    },
    stop: () => {
      engine.runKernel = original;
      return count;
    },
  };
}
