/**
 * For the tests of measuring in a worker whose runs are a few steps of a
 * small model: such a run ends before the worker has loaded tfjs, and its
 * one measurement is then made on the training thread (by design: see
 * RunSession.end). To test the worker, these tests hold training at its
 * first step until the worker has answered (ready, or failed to rebuild
 * the model), as a longer run would have kept training meanwhile.
 *
 * The worker is the real one (node-measure-worker.ts); only its replies are
 * read early, in the background, and handed to the monitor when it polls.
 */
import * as tf from '@tensorflow/tfjs';
import type { MeasureWorkerLink } from '../measure-worker/link.js';
import type { FromWorker } from '../measure-worker/messages.js';
import { startNodeMeasureWorker } from '../platform/node/node-measure-worker.js';
import { nodePlatform } from '../platform/node/node-platform.js';
import { installPlatform } from '../platform/platform.js';

/**
 * Installs the Node platform with its worker's replies read in the
 * background. Returns a callback to pass after the monitor: at the first
 * step of each run it waits for the worker's first answer (at most 60 s).
 * `passMeasured`: how many of the worker's measurements reach the monitor
 * (default all); the later ones are held back for good.
 */
export function holdFirstStepForWorker(options: { passMeasured?: number } = {}): tf.CustomCallback {
  return watchWorker(options).holdFirstStep;
}

/**
 * holdFirstStepForWorker's parts, for a custom training loop: the
 * callback, the worker's first answer, and how many measurements the
 * worker has replied with so far (held back or not).
 */
export function watchWorker(options: { passMeasured?: number } = {}): { holdFirstStep: tf.CustomCallback; answered(): Promise<void>; measured(): number } {
  const pass = options.passMeasured ?? Infinity;
  let measured = 0;
  let answered: Promise<void> = Promise.resolve();
  installPlatform({
    ...nodePlatform,
    async startMeasureWorker(): Promise<MeasureWorkerLink> {
      const real = await startNodeMeasureWorker();
      const early: FromWorker[] = [];
      let done: () => void = () => {};
      answered = new Promise<void>((resolve) => (done = resolve));
      const drain = () => {
        for (let r = real.poll(); r; r = real.poll()) {
          // Past `passMeasured`, the worker's measurements never arrive: a worker that lost its core.
          if (r.type === 'measured' && ++measured > pass) continue;
          early.push(r);
          if (r.type === 'ready' || r.type === 'failed') done();
        }
        if (real.died) done();
      };
      const timer = setInterval(drain, 5);
      const stop = () => {
        clearInterval(timer);
        done();
      };
      return {
        backend: real.backend,
        post: (m, t) => real.post(m, t),
        poll: () => {
          drain();
          return early.shift();
        },
        get died() {
          return real.died;
        },
        terminate: () => {
          stop();
          return real.terminate();
        },
      };
    },
  });
  let first = true;
  const holdFirstStep = new tf.CustomCallback({
    onTrainBegin: async () => void (first = true),
    onBatchEnd: async () => {
      if (!first) return;
      first = false;
      await new Promise<void>((resolve) => {
        const timeout = setTimeout(resolve, 60_000);
        void answered.then(() => {
          clearTimeout(timeout);
          resolve();
        });
      });
    },
  });
  return { holdFirstStep, answered: () => answered, measured: () => measured };
}
