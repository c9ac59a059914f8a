import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The lowest nice value a process can give itself. */
export const LOWEST_NICE = 19;

/** util-linux's chrt, by its absolute path: never whatever a PATH lookup finds. */
export const CHRT = '/usr/bin/chrt';

/** What lowerThisProcess achieved: the idle scheduling class, nice 19 only, or nothing (not allowed). */
export type Lowered = 'idle class' | 'nice 19' | 'unchanged';

/**
 * Lowers every thread of the calling process as far as an unprivileged
 * process can: nice 19, and on Linux the idle scheduling class
 * (SCHED_IDLE, through util-linux's chrt where it is installed).
 *
 * Why the idle class: a process at nice 19 on the other core still costs
 * training a run-queue wait (beside one spinning at nice 19 on 2 cores the
 * training thread waited 544–835 ms per 300 SimpleRNN steps, beside one in
 * the idle class 221–345 ms, with none 31–158 ms): V8 wakes training's own
 * collection helpers all the time, and the kernel places a waking thread
 * on a core that runs only idle-class work as on a free one, where it
 * preempts at once. The budget charges that wait, so less of it buys more
 * measurements. (The idle class was ruled out for a worker thread, which
 * shares locks with the training thread: starved while holding one, it put
 * training to sleep for as long as it was starved. A process shares none.)
 *
 * On Linux a nice value and a scheduling class belong to a thread, and
 * V8's helper threads (which collect this process's garbage) were started
 * with the process, at its priority: each is lowered by its id
 * (/proc/self/task), and chrt --all-tasks sets them all; threads started
 * later inherit both from the thread that starts them. Elsewhere (macOS,
 * Windows) the nice value belongs to the process. Where the system forbids
 * it (a sandbox), the process measures at the priority it was started with.
 */
export function lowerThisProcess(): Lowered {
  let lowered: Lowered = 'unchanged';
  for (const id of process.platform === 'linux' ? taskIds() : [0]) {
    try {
      setPriority(id, LOWEST_NICE);
      lowered = 'nice 19';
    } catch {
      // gone since listed, or not allowed
    }
  }
  if (process.platform === 'linux' && existsSync(CHRT)) {
    try {
      execFileSync(CHRT, ['--all-tasks', '--idle', '--pid', '0', String(process.pid)], { stdio: 'ignore', timeout: 10_000 });
      lowered = 'idle class';
    } catch {
      // not allowed (a container's seccomp policy): nice 19 it is
    }
  }
  return lowered;
}

function taskIds(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number);
  } catch {
    return [0];
  }
}
