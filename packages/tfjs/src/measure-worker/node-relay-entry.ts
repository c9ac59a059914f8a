/**
 * The measurement worker in Node, as the training process sees it: a
 * worker_threads thread that relays between the training thread and the
 * measurement process (node-process-entry.ts), which measures.
 *
 * Why a relay: the training thread reads replies with
 * receiveMessageOnPort, synchronously between training steps (a training
 * loop may never turn its event loop); a child process answers only through
 * an event loop. This thread's event loop is free: it passes each message
 * on as it arrives, and holds nothing but the messages in passing.
 *
 * At 'close' (the run's end) it ends the process at once, mid-measurement
 * too, and exits once the process's exit has been reaped.
 *
 * Where no process can be started, this thread measures itself, as the
 * worker did before there was a process: the same replies, at training's
 * priority for V8's helpers.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { workerData, type MessagePort } from 'node:worker_threads';
import { lowerThisThread } from './lowest-priority.js';
import type { FromWorker, ToWorker } from './messages.js';

const { port } = workerData as { port: MessagePort };
lowerThisThread();

// Messages that arrive before the process has started (the init, the first snapshot) wait here.
const early: ToWorker[] = [];
let deliver: ((msg: ToWorker) => void) | null = null;
port.on('message', (msg: ToWorker) => (deliver ? deliver(msg) : early.push(msg)));

/** Measures on this thread from now on. tfjs is loaded only then: a relay has no use for it. */
async function measureHere(): Promise<void> {
  const { nodeMeasureHandler } = await import('./node-measure-host.js');
  deliver = nodeMeasureHandler((reply) => port.postMessage(reply), () => port.close());
  early.splice(0).forEach(deliver);
}

function startProcess(): void {
  const entry = fileURLToPath(new URL('./node-process-entry.js', import.meta.url));
  // Not the training process's flags (a --cpu-prof or --inspect is not the measurement's) nor its NODE_OPTIONS.
  const { NODE_OPTIONS: _options, ...env } = process.env;
  const child = fork(entry, [], { execArgv: [], env, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let closing = false;
  let spawned = false;
  child.once('spawn', () => {
    spawned = true;
    deliver = (msg) => {
      if (msg.type !== 'close') {
        child.send(msg);
      } else if (!closing) {
        // The run has ended and awaited what it wanted: the measurement in flight, if any, is not. The
        // process is ended here, where its exit is reaped, then this thread ends (on the exit).
        closing = true;
        child.kill('SIGKILL');
      }
    };
    early.splice(0).forEach(deliver);
  });
  child.on('message', (reply: FromWorker) => port.postMessage(reply));
  child.on('error', (err) => {
    if (!spawned) {
      void measureHere();
    } else if (!closing) {
      throw err; // the thread's error tells the training thread
    }
  });
  child.once('exit', (code, signal) => {
    if (!spawned) return;
    if (!closing) throw new Error(`the measurement process exited (${signal ?? `code ${code}`})`);
    port.close();
  });
}

try {
  startProcess();
} catch {
  void measureHere();
}
