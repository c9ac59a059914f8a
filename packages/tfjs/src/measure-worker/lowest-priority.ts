import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The lowest priority there is: nice 19 (Linux, macOS), IDLE_PRIORITY_CLASS (Windows, via libuv). */
const LOWEST = 19;

/**
 * Lowers this whole process — every thread it has now, and so every thread
 * they start later, which inherits its creator's setting — to the lowest
 * priority. For the measurement process only, whose threads all serve the
 * measurement: its JavaScript thread and V8's garbage-collection and
 * compiler helpers alike.
 *
 * Linux: the idle scheduling class (SCHED_IDLE, set with util-linux's
 * chrt; Node has no call for it), and nice 19 where chrt is missing or
 * refused. Why idle rather than nice 19: training has helper threads of
 * its own (V8 collects its garbage on them: 2 s of CPU in a 10 s run of a
 * SimpleRNN n = 64, T = 50 on wasm), which run on the core training leaves
 * free. A waking thread is placed on a core that runs only idle-class
 * threads as on a free one, and takes it at once; one at nice 19 is
 * treated as a busy core, and the helper then often queues beside
 * training. Measured with a process spinning on the other core of 2
 * through 300 training steps of that model (three runs each): the training
 * thread waited for a core 31–158 ms with none, 544–835 ms beside one at
 * nice 19, 221–345 ms beside one in the idle class, and 1042–1446 ms
 * beside one at training's priority.
 *
 * A nice value belongs to a thread on Linux, and setpriority() on the
 * process id reaches only the main thread: each thread in /proc/self/task
 * is set by its id. Elsewhere the value belongs to the process.
 * A sandbox that forbids it leaves the process at its priority: it still
 * measures, only at training's priority.
 */
export function lowerThisProcess(): void {
  try {
    if (process.platform !== 'linux') {
      setPriority(LOWEST);
      return;
    }
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        setPriority(Number(tid), LOWEST);
      } catch {
        // a thread that ended while we listed
      }
    }
    // Every thread of this process (--all-tasks) to the idle class; lowering the class needs no privilege.
    execFileSync('chrt', ['--all-tasks', '--idle', '--pid', '0', String(process.pid)], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    // not permitted here, or no chrt: nice 19 (or training's priority) it is
  }
}

/**
 * Lowers the calling thread alone, on Linux (the relay thread, inside the
 * training process). Elsewhere the value would be the whole training
 * process's, and it is left alone.
 */
export function lowerThisThread(): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(LOWEST);
  } catch {
    // not permitted here
  }
}
