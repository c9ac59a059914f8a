/**
 * The measurement worker in Node (worker_threads). The training thread
 * hands it one end of a MessageChannel (workerData.port) and reads replies
 * from the other end with receiveMessageOnPort, between training steps, so
 * a reply never waits for the training loop to yield to its event loop.
 *
 * Backend: wasm when @tensorflow/tfjs-backend-wasm resolves (the fastest
 * that installs everywhere, and it runs beside training on another core);
 * otherwise cpu, but only when training itself runs on cpu — a cpu worker
 * measuring for a wasm or tfjs-node training thread would fall far behind,
 * and the monitor measures on the thread instead.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { measureHandler } from './measure-handler.js';
import type { InitMessage, ToWorker } from './messages.js';

async function selectBackend(init: InitMessage): Promise<string> {
  let whyNot: string;
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm')) return 'wasm';
    whyNot = 'the wasm backend failed to initialise';
  } catch (err) {
    whyNot = `@tensorflow/tfjs-backend-wasm is not installed (${(err as Error).message.split('\n')[0]})`;
  }
  if (init.trainingBackend === 'cpu' && (await tf.setBackend('cpu'))) return 'cpu';
  throw new Error(`${whyNot}, and a cpu worker would be slower than training on '${init.trainingBackend}'`);
}

const port = (workerData as { port: MessagePort }).port;
const handle = measureHandler({ selectBackend, post: (reply) => port.postMessage(reply) });
// One message at a time, in order: the thread sends a snapshot only after the previous reply.
let chain = Promise.resolve();
port.on('message', (msg: ToWorker) => {
  chain = chain.then(() => handle(msg));
  if (msg.type === 'close') chain.then(() => port.close());
});
