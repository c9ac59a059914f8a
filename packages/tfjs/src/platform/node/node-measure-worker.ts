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
import type { MeasureWorkerLink } from '../../measure-worker/link.js';
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
/** Measurement workers started and not yet ended (the run's end ends its worker). */
export function liveMeasureWorkers(): number {
  return live;
}

/**
 * Starts the worker. With one core available to this process (taskset, a
 * container's CPU limit) it refuses: the worker's measurements would take
 * their time from training, outside the budget.
 */
export async function startNodeMeasureWorker(cores = availableParallelism()): Promise<MeasureWorkerLink> {
  if (cores < 2) throw new Error(`this process may use ${cores} CPU core, and a worker would take its time from training`);
  const { port1, port2 } = new MessageChannel();
  // execArgv []: the training process's flags are not the worker's, which runs this package's built JavaScript
  // (one started by `node --input-type=module -e …` failed with ERR_INPUT_TYPE_NOT_ALLOWED before).
  const worker = new Worker(nodeWorkerEntry(), { workerData: { port: port2 }, transferList: [port2], execArgv: [] });
  worker.unref();
  live++;
  let died: Error | null = null;
  let ended = false;
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
    async terminate() {
      ended = true;
      port1.close();
      await worker.terminate();
      uncount();
    },
  };
}
