import { readFileSync } from 'node:fs';

/**
 * The calling thread's record in the Linux kernel's scheduler statistics
 * (/proc/thread-self/schedstat, proc(5): ns on a CPU, ns runnable but
 * waiting on the run queue, timeslices); null elsewhere (macOS, Windows)
 * or where the kernel keeps no such record. Nanoseconds, where
 * /proc/thread-self/stat counts CPU time in 10 ms ticks: a measurement of a
 * small model takes less than one. One read is ~10 µs.
 */
function schedstat(): [onCpuNs: number, waitNs: number] | null {
  if (process.platform !== 'linux') return null;
  try {
    const [onCpu, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    // A kernel that keeps no record here writes "0 0 0" (sched_info off): a thread reading the file has run, so 0 is no figure.
    return Number.isFinite(onCpu) && Number.isFinite(wait) && onCpu! > 0 ? [onCpu!, wait!] : null;
  } catch {
    return null;
  }
}

/** The calling thread's CPU time so far (ms); null where the kernel does not tell. */
export function threadCpuMs(): number | null {
  const record = schedstat();
  return record ? record[0] / 1e6 : null;
}

/**
 * The calling thread's time runnable but waiting for a CPU so far (ms);
 * null where the kernel does not tell.
 *
 * Why the monitor reads it: a worker measuring beside training costs the
 * training thread no CPU time of its own, but V8 collects the worker's
 * garbage on helper threads the whole process shares, at training's
 * priority, and on a machine with few cores training then waits for one.
 * That wait is the worker's cost to training, and the budget charges it
 * (monitor/run-queue-charge.ts).
 */
export function runQueueWaitMs(): number | null {
  const record = schedstat();
  return record ? record[1] / 1e6 : null;
}
