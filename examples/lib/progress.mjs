import * as tf from '@tensorflow/tfjs';

/**
 * Terminal progress for the examples: one line per epoch (and every
 * `everySteps` steps) with the loss. gradscope itself prints a line per
 * measurement with every layer's regime.
 */
export function progress(label, { everySteps = 50 } = {}) {
  let step = 0;
  let started = Date.now();
  return new tf.CustomCallback({
    onTrainBegin: async () => {
      started = Date.now();
    },
    onBatchEnd: async (_batch, logs) => {
      step++;
      if (step % everySteps === 0) console.log(`${label}: step ${step}, loss ${Number(logs.loss).toFixed(4)}`);
    },
    onEpochEnd: async (epoch, logs) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      console.log(`${label}: epoch ${epoch + 1} done (step ${step}, ${seconds} s), loss ${Number(logs.loss).toFixed(4)}`);
    },
  });
}
