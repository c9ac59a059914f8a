/**
 * Starts the measurement worker in Node: a worker_threads Worker running
 * measure-worker/node-entry.js with its own tfjs. Replies come over a
 * MessageChannel the thread reads with receiveMessageOnPort, synchronously
 * between training steps (see ../../measure-worker/link.ts). The worker is
 * unref'd: a script that never closes its monitor still exits.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { WorkerDeclined, type MeasureWorkerLink } from '../../measure-worker/link.js';
import type { FromWorker, ToWorker } from '../../measure-worker/messages.js';

/**
 * The worker's entry file. Node runs only JavaScript in a worker; when this
 * module itself runs from its TypeScript source (the package's own tests),
 * the entry is the built one in dist/, which the test task builds first.
 */
export function nodeWorkerEntry(): URL {
  const beside = new URL('../../measure-worker/node-entry.js', import.meta.url);
  if (existsSync(fileURLToPath(beside)) || !import.meta.url.endsWith('.ts')) return beside;
  const built = new URL('../../../dist/measure-worker/node-entry.js', import.meta.url);
  if (!existsSync(fileURLToPath(built))) throw new Error(`the worker entry ${fileURLToPath(built)} is not built: run \`npm run build\` in packages/tfjs`);
  return built;
}

let live = 0;
/** Measurement workers started whose thread has not exited yet (the run's end ends its worker). */
export function liveMeasureWorkers(): number {
  return live;
}

/**
 * How long ending a worker waits for its thread to exit. On a machine with
 * a core to spare that takes 10–60 ms. Its thread runs at the lowest
 * priority, and on a machine with more runnable work than cores it gets
 * almost no CPU: beside three CPU-bound processes on 2 cores the run's end
 * waited 11–13 s for it (after 100 steps that took 7 s), the training
 * thread idle meanwhile. Past this wait the thread exits when the machine
 * lets it; the run does not wait for it. The process does: Node ends no
 * process before its worker threads have finished, so a script that ends
 * right after training still ends only once the worker has exited.
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
  if (cores < 2) throw new Error(`this process may use ${cores} CPU core, and a worker would take its time from training`);
  // While one is still exiting, no other: a machine busy enough to hold one back would otherwise gather one per run
  // (each with its own tfjs and wasm memory). Declined at once: the training's first step does not wait.
  if (exiting.size > 0) {
    const endedMsAgo = Date.now() - Math.min(...exiting.values());
    throw new WorkerDeclined(
      `an earlier run's worker is still exiting, ${(endedMsAgo / 1000).toFixed(1)} s after it was ended; its thread, at the lowest priority, ` +
        'gets little CPU when the machine has more runnable work than cores. A later run measures in a worker again once it has gone',
    );
  }
  const { port1, port2 } = new MessageChannel();
  // execArgv []: the training process's flags are not the worker's, which runs this package's built JavaScript
  // (one started by `node --input-type=module -e …` failed with ERR_INPUT_TYPE_NOT_ALLOWED before).
  const worker = new Worker(nodeWorkerEntry(), { workerData: { port: port2 }, transferList: [port2], execArgv: [] });
  worker.unref();
  live++;
  let died: Error | null = null;
  let ended = false;
  let ending: Promise<void> | null = null;
  let counted = true;
  const uncount = () => {
    if (counted) live--;
    counted = false;
  };
  worker.on('error', (err) => {
    died ??= err;
  });
  worker.on('exit', (code) => {
    uncount();
    if (!ended) died ??= new Error(`the worker exited with code ${code}`);
  });
  return {
    backend: null,
    threadTakesOver: true,
    post(msg: ToWorker, transfer: ArrayBuffer[] = []) {
      port1.postMessage(msg, transfer);
    },
    poll() {
      return receiveMessageOnPort(port1)?.message as FromWorker | undefined;
    },
    get died() {
      return died;
    },
    terminate() {
      // Once: a second call waits on the same exit, not another EXIT_WAIT_MS.
      if (!ending) {
        ended = true;
        port1.close();
        const exit = worker.terminate().then(uncount, uncount);
        exiting.set(exit, Date.now());
        void exit.then(() => exiting.delete(exit));
        ending = settledWithin(exit, EXIT_WAIT_MS);
      }
      return ending;
    },
  };
}
