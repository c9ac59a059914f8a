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
 * step of each run it waits for the worker's first answer (at most 60 s;
 * see WatchOptions for more).
 */
export function holdFirstStepForWorker(options: WatchOptions = {}): tf.CustomCallback {
  return watchWorker(options).holdFirstStep;
}

interface WatchOptions {
  /** How many of the worker's measurements reach the monitor (default all); the later ones are held back for good. */
  passMeasured?: number;
  /** Once `passMeasured` measurements have come through, its skips are held back too: a worker that gets no CPU at all, and answers nothing. */
  silentAfterPassed?: boolean;
  /** After the first step, hold each step until the worker has replied with this many measurements, or to every snapshot posted when fewer (default 0). */
  untilMeasured?: number;
  /** The worker's 'ready' never reaches the monitor: a worker that has not started yet, for good. */
  withholdReady?: boolean;
  /** Every measurement reply claims this much of the worker's CPU time (the budget's cap on the wait it charges). */
  claimCpuMs?: number;
  /** The worker is killed right after this many snapshots have been posted to it, before it can answer the last. */
  dieAfterPosted?: number;
  /** The worker is killed as soon as it says it is ready, before the monitor reads that: it dies with the first snapshot being posted. */
  dieOnReady?: boolean;
}

/** Resolves when `ready()` is true (checked every 5 ms), or after 60 s. */
function until(ready: () => boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    const deadline = Date.now() + 60_000;
    const check = () => (ready() || Date.now() > deadline ? resolve() : setTimeout(check, 5));
    check();
  });
}

/**
 * holdFirstStepForWorker's parts: the callback, whether a worker was
 * started, how many snapshots the monitor has posted to it (and the step of
 * the last), how many measurements it has replied with so far (held back
 * or not) and how many snapshots it skipped (each reply frees its slot).
 */
export function watchWorker(options: WatchOptions = {}): {
  holdFirstStep: tf.CustomCallback;
  started(): boolean;
  measured(): number;
  skipped(): number;
  posted(): number;
  lastPosted(): number | null;
  /** Kills the worker now, as a crash would: it answers nothing more, and its link says it died. */
  kill(): void;
} {
  const pass = options.passMeasured ?? Infinity;
  let measured = 0;
  let skipped = 0;
  let posted = 0;
  let lastPosted: number | null = null;
  let started = false;
  let answered: Promise<void> = Promise.resolve();
  let kill: () => void = () => {};
  installPlatform({
    ...nodePlatform,
    async startMeasureWorker(): Promise<MeasureWorkerLink> {
      const real = await startNodeMeasureWorker();
      started = true;
      const early: FromWorker[] = [];
      let died: Error | null = null;
      let done: () => void = () => {};
      answered = new Promise<void>((resolve) => (done = resolve));
      const drain = () => {
        for (let r = real.poll(); r; r = real.poll()) {
          if (died) continue; // killed: nothing it sent after reaches the monitor
          // Past `passMeasured`, the worker's measurements never arrive: a worker that lost its core.
          if (r.type === 'measured' && ++measured > pass) continue;
          if (r.type === 'skipped') skipped++;
          if (r.type === 'skipped' && options.silentAfterPassed && measured >= pass) continue;
          if (r.type === 'ready' && options.withholdReady) continue;
          if (r.type === 'measured' && options.claimCpuMs !== undefined) r.cpuMs = options.claimCpuMs;
          early.push(r);
          if (r.type === 'ready' && options.dieOnReady) kill();
          if (r.type === 'ready' || r.type === 'failed') done();
        }
        if (real.died) done();
      };
      const timer = setInterval(drain, 5);
      timer.unref();
      const stop = () => {
        clearInterval(timer);
        done();
      };
      kill = () => {
        died ??= new Error('killed by the test');
        void real.terminate();
        done();
      };
      return {
        backend: real.backend,
        threadTakesOver: real.threadTakesOver,
        post: (m, t) => {
          if (m.type === 'snapshot') {
            posted++;
            lastPosted = m.step;
          }
          real.post(m, t);
          if (m.type === 'snapshot' && posted === options.dieAfterPosted) kill();
        },
        poll: () => {
          drain();
          return early.shift();
        },
        get died() {
          return died ?? real.died;
        },
        terminate: () => {
          stop();
          return real.terminate();
        },
      };
    },
  });
  let first = true;
  let answeredNow = false;
  const holdFirstStep = new tf.CustomCallback({
    onTrainBegin: async () => {
      first = true;
      answeredNow = false;
    },
    onBatchEnd: async () => {
      if (first) {
        first = false;
        void answered.then(() => (answeredNow = true));
        await until(() => answeredNow);
      } else if (measured < (options.untilMeasured ?? 0)) {
        // Never for a measurement of a snapshot not posted yet (step 1's is the held one, posted in the background):
        // that would hold the step until the 60 s run out.
        await until(() => measured >= Math.min(options.untilMeasured!, Math.max(posted, 1)));
      }
    },
  });
  return { holdFirstStep, started: () => started, measured: () => measured, skipped: () => skipped, posted: () => posted, lastPosted: () => lastPosted, kill: () => kill() };
}
