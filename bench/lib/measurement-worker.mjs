import { gradscope } from '@gradscope/tfjs';

/**
 * Whether this build of @gradscope/tfjs has the `worker` option of
 * gradscope() (measurements in a worker beside training). A build without it
 * rejects the option as unknown, with a TypeError naming it: then the
 * benchmarks report the worker rows as n/a and run today's behaviour
 * (measurements on the training thread) without the option.
 * Constructing a monitor opens nothing (a run starts at its first step).
 */
export async function measurementWorkerSupport() {
  try {
    const monitor = gradscope({ worker: false, logdir: false, serve: false, console: false });
    await monitor.close();
    return { supported: true, reason: null };
  } catch (err) {
    if (err instanceof TypeError && /worker/.test(err.message)) return { supported: false, reason: 'this build has no measurement worker' };
    throw err;
  }
}
