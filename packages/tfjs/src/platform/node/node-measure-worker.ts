/**
 * Starts the measurement worker in Node: a measurement process
 * (measure-worker/node-entry.js, with its own tfjs, every thread at the
 * lowest priority) reached through a relay thread (measure-worker/
 * node-relay.js, which says why both). Replies come over a MessageChannel
 * the training thread reads with receiveMessageOnPort, synchronously
 * between training steps (see ../../measure-worker/link.ts). The relay is
 * unref'd: a script that never closes its monitor still exits, and the
 * measurement process with it.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { MeasureWorkerLink } from '../../measure-worker/link.js';
import type { FromWorker, ToWorker } from '../../measure-worker/messages.js';

/**
 * A file of measure-worker/ (the relay's or the process's entry). Node runs
 * only JavaScript in a worker or a child process; when this module itself
 * runs from its TypeScript source (the package's own tests), the file is
 * the built one in dist/, which the test task builds first.
 */
export function measureWorkerFile(name: 'node-relay.js' | 'node-entry.js'): URL {
  const beside = new URL(`../../measure-worker/${name}`, import.meta.url);
  if (existsSync(fileURLToPath(beside)) || !import.meta.url.endsWith('.ts')) return beside;
  const built = new URL(`../../../dist/measure-worker/${name}`, import.meta.url);
  if (!existsSync(fileURLToPath(built))) throw new Error(`the worker entry ${fileURLToPath(built)} is not built: run \`npm run build\` in packages/tfjs`);
  return built;
}

/** How long terminate() waits for the relay to end the measurement process and itself. */
const RELAY_END_MS = 1000;

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
  const entry = fileURLToPath(measureWorkerFile('node-entry.js'));
  // execArgv: the training process's flags (--input-type, a loader for its TypeScript) are not the relay's, which is plain JavaScript.
  const worker = new Worker(measureWorkerFile('node-relay.js'), { workerData: { port: port2, entry }, transferList: [port2], execArgv: [] });
  worker.unref();
  live++;
  let died: Error | null = null;
  let ended = false;
  let exited = false;
  let counted = true;
  const uncount = () => {
    if (counted) live--;
    counted = false;
  };
  const exit = new Promise<void>((resolve) => {
    worker.on('exit', (code) => {
      exited = true;
      uncount();
      if (!ended) died ??= new Error(`the worker exited with code ${code}`);
      resolve();
    });
  });
  worker.on('error', (err) => {
    died ??= err;
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
      if (ended) return;
      ended = true;
      // The relay ends the measurement process and waits for its exit (so no
      // ended process is left unreaped in this one), then ends itself; one
      // that does not within a second is ended at once (its process then
      // exits when its channel closes, and stays a zombie until this process
      // ends: only the relay's event loop could reap it).
      if (!exited) {
        port1.postMessage({ type: 'close' } satisfies ToWorker);
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([exit, new Promise((resolve) => (timer = setTimeout(resolve, RELAY_END_MS)))]);
        clearTimeout(timer);
      }
      port1.close();
      await worker.terminate();
      uncount();
    },
  };
}
