/**
 * Starts the measurement worker in Node: a child process with its own tfjs
 * (../../measure-worker/node-entry.ts), over Node's IPC channel in V8's
 * serialisation (weights travel as typed arrays). Replies arrive when the
 * training thread lets its event loop run — the monitor yields to it every
 * YIELD_EVERY_MS of training (../../monitor/yield-to-event-loop.ts) — and
 * wait in a queue for the next poll between steps.
 *
 * Why no thread between them: a worker thread relaying the messages would
 * let the training thread read replies synchronously, but it would be one
 * more isolate sharing the training process's V8 platform and its locks
 * (the measuring thread this replaced, at the lowest priority, held them
 * while starved: beside three CPU-bound processes on 2 cores the training
 * thread slept 8.9–9.7 s over 100 SimpleRNN steps and the run's end), for
 * replies that now wait at most the 50 ms between the monitor's yields.
 *
 * The process and its channel are unref'd: a script that never closes its
 * monitor still exits, and the process, its channel gone, exits too.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { WorkerDeclined, type MeasureWorkerLink } from '../../measure-worker/link.js';
import type { FromWorker, ToWorker } from '../../measure-worker/messages.js';
import { measureProcessLaunch } from './child-node-options.js';

/**
 * The measurement process's entry file. Node runs only JavaScript in a
 * child process; when this module itself runs from its TypeScript source
 * (the package's own tests), the entry is the built one in dist/, which the
 * test task builds first.
 */
export function nodeWorkerEntry(): URL {
  const beside = new URL('../../measure-worker/node-entry.js', import.meta.url);
  if (existsSync(fileURLToPath(beside)) || !import.meta.url.endsWith('.ts')) return beside;
  const built = new URL('../../../dist/measure-worker/node-entry.js', import.meta.url);
  if (!existsSync(fileURLToPath(built))) throw new Error(`the worker entry ${fileURLToPath(built)} is not built: run \`npm run build\` in packages/tfjs`);
  return built;
}

let live = 0;
/** Measurement processes started and not reaped yet (the run's end ends its worker). */
export function liveMeasureWorkers(): number {
  return live;
}

/**
 * How long ending a worker waits for it to be gone. On a machine with a
 * core to spare the process is killed and reaped in 10–60 ms. It runs at
 * the lowest priority, and on a machine with more runnable work than cores
 * it gets almost no CPU, even to die: a worker at that priority has taken
 * 11–13 s to exit beside three CPU-bound processes on 2 cores. Past this
 * wait the run goes on; the process is reaped when it has died, and the
 * training process's own exit does not wait for that (an orphan is reaped
 * by the system).
 */
export const EXIT_WAIT_MS = 1000;

/** Workers ended and not yet gone: their exits, and when each was ended. */
const exiting = new Map<Promise<void>, number>();

/** Resolves when `done` settles or after `ms`, whichever is first. */
function settledWithin(done: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([done.then(() => {}), late]).finally(() => clearTimeout(timer));
}

/**
 * Starts the worker. With one core available to this process (taskset, a
 * container's CPU limit) it refuses: the worker's measurements would take
 * their time from training, outside the budget.
 */
export async function startNodeMeasureWorker(cores = availableParallelism()): Promise<MeasureWorkerLink> {
  // Declined, not failed: its words are the whole reason (no "no worker could start here" before them).
  if (cores < 2) throw new WorkerDeclined(`no worker is started: this process may use ${cores} CPU core, and a worker would take its time from training`);
  // While one is still exiting, no other: a machine busy enough to hold one back would otherwise gather one per run
  // (each with its own tfjs and wasm memory). Declined at once: the training's first step does not wait.
  if (exiting.size > 0) {
    const endedMsAgo = Date.now() - Math.min(...exiting.values());
    throw new WorkerDeclined(
      `an earlier run's measurement process is still exiting, ${(endedMsAgo / 1000).toFixed(1)} s after it was ended; at the lowest priority, ` +
        'it gets little CPU when the machine has more runnable work than cores. A later run measures in a worker again once it has gone',
    );
  }
  // The training process's flags are not the measurement process's, which runs this package's built JavaScript (one
  // started by `node --input-type=module -e …` failed with ERR_INPUT_TYPE_NOT_ALLOWED before): only its own.
  const { env, execArgv } = measureProcessLaunch(process.env);
  const child = fork(fileURLToPath(nodeWorkerEntry()), [], {
    execArgv,
    env,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.unref();
  child.channel?.unref();
  live++;
  const replies: FromWorker[] = [];
  let died: Error | null = null;
  let ended = false;
  let ending: Promise<void> | null = null;
  let sendError: Error | null = null;
  const exit = new Promise<void>((resolve) => {
    let counted = true;
    const gone = (why: string) => {
      if (counted) live--;
      counted = false;
      if (!ended) died ??= new Error(why);
      resolve();
    };
    child.once('exit', (code, signal) =>
      gone(`the measurement process ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${sendError ? ` (${sendError.message})` : ''}`),
    );
    child.on('error', (err) => {
      // A process that never started has no exit to wait for; otherwise 'exit' says what happened.
      if (child.pid === undefined) gone(`the measurement process did not start: ${err.message}`);
      else sendError ??= err;
    });
  });
  child.on('message', (reply: FromWorker) => replies.push(reply));
  return {
    backend: null,
    threadTakesOver: true,
    post(msg: ToWorker) {
      // Only while the channel is open; a send that fails (the process died meanwhile) is told by its exit.
      if (child.connected) child.send(msg, (err) => void (err && (sendError ??= err)));
    },
    poll() {
      return replies.shift();
    },
    get died() {
      return died;
    },
    terminate() {
      // Once: a second call waits on the same exit, not another EXIT_WAIT_MS.
      if (!ending) {
        ended = true;
        child.kill('SIGKILL');
        exiting.set(exit, Date.now());
        void exit.then(() => exiting.delete(exit));
        ending = settledWithin(exit, EXIT_WAIT_MS);
      }
      return ending;
    },
  };
}
