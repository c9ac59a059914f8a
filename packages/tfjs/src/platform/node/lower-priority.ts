import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The lowest nice value a process can give itself. */
const LOWEST_NICE = 19;

/**
 * Lowers every thread of the calling process to nice 19. On Linux a nice
 * value belongs to a thread, and V8's helper threads (which collect this
 * process's garbage) were started with the process, at its priority: each
 * is lowered by its id (/proc/self/task), and threads started later inherit
 * the value of the thread that starts them. Elsewhere (macOS, Windows) the
 * value belongs to the process. Where the system forbids it (a sandbox),
 * the process measures at the priority it was started with.
 *
 * Not the idle scheduling class (SCHED_IDLE), though beside training on an
 * otherwise idle machine it measured more often (2.1–2.8 steps per
 * SimpleRNN measurement against 2.4–4.3 for a worker thread at nice 19):
 * within the training process's session the kernel gives an idle-class
 * process a fifth of a nice-19 one's share of a busy core, so with anything
 * else CPU-bound on the machine (a test suite beside training, a second
 * training run) it measured nothing for 60 s, and an unprivileged process
 * cannot leave the class again.
 */
export function lowerThisProcess(): void {
  for (const id of process.platform === 'linux' ? taskIds() : [0]) {
    try {
      setPriority(id, LOWEST_NICE);
    } catch {
      // gone since listed, or not allowed
    }
  }
}

function taskIds(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number);
  } catch {
    return [0];
  }
}
