import { readFileSync } from 'node:fs';

/**
 * The calling thread's time spent runnable but waiting for a CPU, in ms
 * since it started, from the Linux kernel's record of it
 * (/proc/thread-self/schedstat: time on a CPU, time on the run queue,
 * timeslices, in ns); null elsewhere (macOS, Windows) or where the kernel
 * keeps no such record.
 *
 * Why the monitor reads it: a worker measuring beside training costs the
 * training thread no CPU time of its own, but V8 collects the worker's
 * garbage on helper threads the whole process shares, at training's
 * priority, and on a machine with few cores training then waits for one.
 * That wait is the worker's cost to training, and the budget charges it.
 * One read is ~10 µs: a step with a worker reads it twice.
 */
export function runQueueWaitMs(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const waitNs = Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]);
    return Number.isFinite(waitNs) ? waitNs / 1e6 : null;
  } catch {
    return null;
  }
}
