/**
 * The measurement worker in a page (a module Web Worker, started by
 * ../platform/browser-measure-worker.ts). Its tfjs is its own: it runs on
 * the backend the thread names in `init` (cpu: it competes neither for the
 * GPU a page trains on with WebGL nor for wasm binaries the page would have
 * to serve to it). Everything it imports is static, so a bundler can emit
 * it as one file.
 */
import * as tf from '@tensorflow/tfjs';
import { measureHandler } from './measure-handler.js';
import type { InitMessage, ToWorker } from './messages.js';

interface WorkerScope {
  postMessage(msg: unknown): void;
  onmessage: ((event: { data: ToWorker }) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

async function selectBackend(init: InitMessage): Promise<string> {
  const wanted = init.backend ?? 'cpu';
  if (!(await tf.setBackend(wanted))) throw new Error(`the '${wanted}' backend did not initialise in the worker`);
  await tf.ready();
  return tf.getBackend();
}

const handle = measureHandler({ selectBackend, post: (reply) => scope.postMessage(reply) });
let chain = Promise.resolve();
scope.onmessage = (event) => {
  chain = chain.then(() => handle(event.data));
};
