/**
 * openRunQueueClock and threadCpuMs read the kernel's record of this thread's
 * wait for a CPU and time on one.
 * The real thing: this thread and two spinning processes are put on one
 * CPU, where each can run a third of the time, and the wait this thread
 * gains while it spins is read back.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openRunQueueClock, threadCpuMs } from './thread-schedstat.js';

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Times this thread left the CPU not runnable (blocked: a page fault's I/O, a lock), from the kernel's count. */
function voluntarySwitches(): number {
  return Number(/voluntary_ctxt_switches:\s*(\d+)/.exec(readFileSync('/proc/thread-self/status', 'utf8'))![1]);
}

/**
 * Spins this thread for `ms` of wall time, allocating almost nothing: the
 * clock is read once per 10,000 additions of small integers. Why: a loop on
 * Date.now() alone allocates at every call (node --trace-gc: 431 scavenges
 * in 1.8 s of it, 6 with this loop), and a scavenge's helper threads are
 * waited for, which the kernel counts as a voluntary switch. The window test
 * below saw one in each of its five windows in a fresh clone's CI run and
 * in one of three runs after it.
 */
function spin(ms: number): number {
  const end = Date.now() + ms;
  let sum = 0;
  while (Date.now() < end) for (let i = 0; i < 10_000; i++) sum = (sum + i) | 0;
  return sum;
}

describe.runIf(process.platform === 'linux')('openRunQueueClock and threadCpuMs', () => {
  // One clock for the tests below, opened on this thread (the one they measure).
  const clock = openRunQueueClock();
  const runQueueWaitMs = () => clock.waitMs();
  afterAll(() => clock.close());

  it('are finite, non-decreasing numbers of ms', () => {
    const [wait0, cpu0] = [runQueueWaitMs(), threadCpuMs()];
    spin(20);
    const [wait1, cpu1] = [runQueueWaitMs(), threadCpuMs()];
    expect(Number.isFinite(wait0)).toBe(true);
    expect(wait0!).toBeGreaterThanOrEqual(0);
    expect(wait1!).toBeGreaterThanOrEqual(wait0!);
    expect(cpu1!).toBeGreaterThan(cpu0!);
  });

  it('a clock reads the file it keeps open afresh each time, and reads null once closed', () => {
    const own = openRunQueueClock();
    const first = own.waitMs();
    // Its reading is this thread's, as a fresh read of the file gives it: between the two, the fresh read's.
    const fresh = Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) / 1e6;
    const second = own.waitMs();
    expect(first).not.toBeNull();
    expect(first!).toBeLessThanOrEqual(fresh);
    expect(second!).toBeGreaterThanOrEqual(fresh);
    own.close();
    expect(own.waitMs()).toBeNull();
    own.close(); // twice is harmless
  });

  it.runIf(hasTaskset)('grows by the time this thread waited while two other processes shared its only CPU', async () => {
    // This thread alone (its tid: /proc/thread-self → <pid>/task/<tid>) goes on one CPU it may use (the first of
    // its affinity list: a container's cpuset need not include CPU 0); the rest of the process keeps its CPUs.
    const tid = readlinkSync('/proc/thread-self').split('/').pop()!;
    const mask = execFileSync('taskset', ['-p', tid], { encoding: 'utf8' }).trim().split(' ').pop()!;
    const cpu = execFileSync('taskset', ['-c', '-p', tid], { encoding: 'utf8' }).trim().split(' ').pop()!.split(/[,-]/)[0]!;
    const hogs = [0, 1].map(() => spawn('taskset', ['-c', cpu, process.execPath, '-e', 'console.log("go"); const end = Date.now() + 15000; while (Date.now() < end);'], { stdio: ['ignore', 'pipe', 'inherit'] }));
    try {
      await Promise.all(hogs.map((hog) => new Promise<void>((resolve, reject) => {
        hog.stdout!.once('data', () => resolve());
        hog.once('error', reject);
        hog.once('exit', (code) => reject(new Error(`a spinning process exited (${code}) before it started`)));
      })));
      execFileSync('taskset', ['-p', '-c', cpu, tid], { stdio: 'ignore' });
      // A spinning thread is either on the CPU or waiting for it, unless it blocks (a page fault that waits for
      // the disk while the machine reclaims memory, a lock): then the two figures miss that time. Such a
      // window is measured again, up to five times; the kernel's count of voluntary switches says which.
      let window = { waited: 0, ran: 0, wall: 0, blocked: 1 };
      for (let attempt = 0; attempt < 5 && window.blocked > 0; attempt++) {
        // The wall clock brackets the readings: on a CPU shared with two spinners this thread can lose the CPU
        // between a reading and a clock read, and that wait (a slice or two, 11 ms seen) must lie inside `wall`.
        const t0 = performance.now();
        const [wait0, cpu0, switches0] = [runQueueWaitMs()!, threadCpuMs()!, voluntarySwitches()];
        spin(600);
        const [waited, ran] = [runQueueWaitMs()! - wait0, threadCpuMs()! - cpu0];
        window = { waited, ran, wall: performance.now() - t0, blocked: voluntarySwitches() - switches0 };
      }
      const { waited, ran, wall } = window;
      expect(window.blocked).toBe(0);
      // Three runnable threads on one CPU: this one runs a third of the time and waits two thirds (~400 ms of
      // 600). Other load on that CPU only adds to the wait. The two figures are the kernel's, split apart.
      expect(waited).toBeGreaterThan(300);
      expect(ran).toBeLessThan(300);
      // The kernel brings a running thread's CPU time up to date at its ticks, so the first reading can lag by up
      // to a tick that the last does not: the sum may pass the bracketing wall time by that much (4 ms at HZ=250).
      expect(waited + ran).toBeLessThanOrEqual(wall + 5);
      expect(waited + ran).toBeGreaterThan(wall * 0.9);
    } finally {
      execFileSync('taskset', ['-p', mask, tid], { stdio: 'ignore' });
      for (const hog of hogs) hog.kill('SIGKILL');
    }
  });
});
