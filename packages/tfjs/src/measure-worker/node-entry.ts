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
 *
 * Priority: the lowest (nice 19) on Linux, where a nice value belongs to a
 * thread, so training keeps its own. On 2 cores the worker's core is also
 * where V8 runs the training thread's garbage collection helpers and where
 * anything else on the machine runs; at the lowest priority the worker
 * measures with what they leave, and a busy machine means fewer
 * measurements. Not only that when the machine has more runnable work than
 * cores: this thread posts V8's background tasks (collections,
 * compilations) to the task queue it shares with the training thread, and
 * when the scheduler takes the core from it while it holds that queue's
 * lock, the training thread sleeps on the lock until this thread runs
 * again (seen with gdb: the training thread in node::TaskQueue::Push).
 * Beside three CPU-bound processes on 2 cores the training thread slept
 * 0.3–1.2 s over 100 SimpleRNN steps (plain training: 0.2 s), and the
 * lower the priority, the longer: in the idle scheduling class (SCHED_IDLE)
 * one such sleep lasted 116 s. On the machine alone, with a core to spare,
 * the higher priorities measured less often (steps per measurement, medians
 * of 5 alternated runs: 3.4 at nice 19, 3.9 at 10, 4.6 at 5, 5.8 at 0; the
 * idle class 1.57 against 2.31 at 19 in another 8), so 19 is kept for the
 * machine with a core to spare and the README points the machine without
 * one to `worker: false`. Elsewhere (macOS, Windows) the value belongs to
 * the whole process and is left alone.
 */
import { setPriority } from 'node:os';
import { workerData, type MessagePort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { threadCpuMs } from '../platform/node/thread-schedstat.js';
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

if (process.platform === 'linux') {
  try {
    setPriority(19); // this thread only (see above)
  } catch {
    // a sandbox that forbids it: the worker still measures, at training's priority
  }
}

const port = (workerData as { port: MessagePort }).port;
const cpuKnown = threadCpuMs() !== null;
const handle = measureHandler({ selectBackend, post: (reply) => port.postMessage(reply), ...(cpuKnown ? { cpuMs: () => threadCpuMs() ?? 0 } : {}) });
// In order; a snapshot only lands in the handler's mailbox (measure-handler.ts), so the next message is read at once.
let chain = Promise.resolve();
port.on('message', (msg: ToWorker) => {
  chain = chain.then(() => handle(msg));
  if (msg.type === 'close') chain.then(() => port.close());
});
