/**
 * The measurement handler as Node runs it, in the measurement process
 * (node-process-entry.ts) or, where no process could be started, in the
 * relay thread itself (node-relay-entry.ts).
 *
 * Backend: wasm when @tensorflow/tfjs-backend-wasm resolves (the fastest
 * that installs everywhere, and it runs beside training on another core);
 * otherwise cpu, but only when training itself runs on cpu — a cpu worker
 * measuring for a wasm or tfjs-node training thread would fall far behind,
 * and the monitor measures on the thread instead.
 */
import * as tf from '@tensorflow/tfjs';
import { threadCpuMs } from '../platform/node/thread-schedstat.js';
import { measureHandler } from './measure-handler.js';
import type { FromWorker, InitMessage, ToWorker } from './messages.js';

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

/**
 * The handler for this thread, replying through `post`; `done` runs once a
 * 'close' has been handled (after the measurement in flight). Messages are
 * handled in order; a snapshot only lands in the handler's mailbox
 * (measure-handler.ts), so the next message is read at once.
 */
export function nodeMeasureHandler(post: (reply: FromWorker) => void, done: () => void): (msg: ToWorker) => void {
  // The CPU time of the thread that measures: this one (the measurement runs on the thread that calls the handler).
  const cpuKnown = threadCpuMs() !== null;
  const handle = measureHandler({ selectBackend, post, ...(cpuKnown ? { cpuMs: () => threadCpuMs() ?? 0 } : {}) });
  let chain = Promise.resolve();
  return (msg) => {
    chain = chain.then(() => handle(msg));
    if (msg.type === 'close') void chain.then(done);
  };
}
