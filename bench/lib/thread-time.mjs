import { readFileSync } from 'node:fs';

/**
 * The calling thread's time as the Linux kernel accounts it
 * (/proc/thread-self/schedstat, proc(5)): ms on a CPU, and ms runnable but
 * waiting for one (the run queue). Why: beside the measurement worker,
 * training's wall time grows by more than the monitor's own work, and these
 * two say whether the training thread worked longer (its CPU time) or
 * waited for a core that other threads held (its run-queue wait). null
 * where the kernel does not keep the record (not Linux, or schedstats off).
 *
 * The CPU time includes time the hypervisor took the virtual CPU away when
 * the guest does not account steal time (this machine's /proc/stat shows 0
 * steal): a slow phase of the host shows up as more CPU time, not as wait.
 */
export function threadTime() {
  try {
    const [onCpuNs, waitNs] = readFileSync('/proc/thread-self/schedstat', 'utf8').trim().split(/\s+/).map(Number);
    if (!Number.isFinite(onCpuNs) || !Number.isFinite(waitNs)) return null;
    return { cpuMs: onCpuNs / 1e6, waitMs: waitNs / 1e6 };
  } catch {
    return null;
  }
}

/** What a thread spent between two readings of threadTime() (null when either is). */
export function threadTimeSince(before) {
  const after = threadTime();
  if (!before || !after) return null;
  return { cpuMs: after.cpuMs - before.cpuMs, waitMs: after.waitMs - before.waitMs };
}
