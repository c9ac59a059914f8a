/**
 * The measurement worker in Node: a child process of its own, started by
 * ../platform/node/node-measure-worker.ts; messages come and go over Node's
 * IPC channel, in V8's serialisation (weights arrive as typed arrays).
 *
 * Why a process and not a worker thread: a thread shares the training
 * process's V8 platform. Its garbage was collected on helper threads at
 * training's priority, which took training's core (the run-queue wait the
 * budget holds), and it posted its background tasks to the task queue
 * the training thread posts to: starved of CPU while holding that queue's
 * lock, a thread at the lowest priority put the training thread to sleep
 * (0.3–1.2 s per 100 SimpleRNN steps beside three CPU-bound processes on
 * 2 cores; once 116 s in the idle scheduling class). A process has its own
 * platform, helpers and locks, and every one of its threads is lowered.
 *
 * Backend: wasm when @tensorflow/tfjs-backend-wasm resolves (the fastest
 * that installs everywhere, and it runs beside training on another core);
 * otherwise cpu, but only when training itself runs on cpu — a cpu worker
 * measuring for a wasm or tfjs-node training thread would fall far behind,
 * and the monitor measures on the thread instead.
 *
 * Priority: it loads tfjs and rebuilds the model at the priority it was
 * started with (training's), so a busy machine does not stall its start,
 * then lowers every thread it has to nice 19 (lower-priority.ts) and
 * measures with what training and the rest of the machine leave.
 */
import * as tf from '@tensorflow/tfjs';
import { threadCpuMs } from '../platform/node/thread-schedstat.js';
import { lowerThisProcess } from '../platform/node/lower-priority.js';
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

const post = (reply: FromWorker) => {
  // Lowered before it says it is ready: every measurement it makes is at the lowest priority.
  if (reply.type === 'ready') lowerThisProcess();
  // Only while the channel is open. A reply racing the run's end (or the training process's) is dropped: the
  // callback takes the write's failure (EPIPE), which would otherwise be an uncaught error printed to the user.
  if (process.connected) process.send!(reply, () => {});
};
const cpuKnown = threadCpuMs() !== null;
const handle = measureHandler({ selectBackend, post, ...(cpuKnown ? { cpuMs: () => threadCpuMs() ?? 0 } : {}) });
// In order; a snapshot only lands in the handler's mailbox (measure-handler.ts), so the next message is read at once.
// No exit on 'close': the run's end kills this process right after sending it (node-measure-worker.ts).
let chain = Promise.resolve();
process.on('message', (msg: ToWorker) => {
  chain = chain.then(() => handle(msg));
});
// The training process is gone: nothing is left to measure for.
process.on('disconnect', () => process.exit(0));
// It is in the training process's process group: Ctrl-C, a closed terminal or a SIGTERM to the group is meant for
// training, which may handle it and train on. This process ends with its channel instead (above), or by SIGKILL.
for (const signal of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) process.on(signal, () => {});
