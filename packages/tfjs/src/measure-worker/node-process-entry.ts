/**
 * The measurement process in Node: a child process of the training process,
 * started by the relay thread (node-relay-entry.ts) with an IPC channel in
 * structured-clone ('advanced') serialisation, so the snapshots' typed
 * arrays arrive as typed arrays.
 *
 * Why a process and not the worker thread itself: V8 collects a thread's
 * garbage partly on helper threads that the whole process shares, and a
 * thread cannot set their priority without setting training's own. A
 * measurement of a small model runs ~2000 tfjs kernels and leaves ~4 KB of
 * garbage each; in a worker thread its collection ran at training's
 * priority beside training and took a core from it (see
 * ../monitor/run-queue-charge.ts). This process has helpers of its own, and
 * it lowers all of its threads to the lowest priority before it measures.
 *
 * It ends when the relay kills it at the run's end (the relay reaps it), or
 * when the channel closes: the relay thread ended, or the training process
 * died (a SIGKILL included: the kernel closes the pipe). It reads that at
 * the next turn of its event loop, so after the measurement in flight.
 */
import { lowerThisProcess } from './lowest-priority.js';
import type { ToWorker } from './messages.js';
import { nodeMeasureHandler } from './node-measure-host.js';

process.title = 'gradscope-measure';
lowerThisProcess();

if (!process.send) throw new Error('gradscope: the measurement process must be started with an IPC channel');
const send = process.send.bind(process);
const handle = nodeMeasureHandler(
  (reply) => void send(reply),
  () => process.disconnect(),
);
process.on('message', (msg) => handle(msg as ToWorker));
// Read at the next turn of the event loop: during a measurement, when it is done.
process.on('disconnect', () => process.exit(0));
