/**
 * The measurement process in Node, started by the relay thread
 * (node-relay.ts, which says why a process). Messages come and go over the
 * IPC channel to that thread; the process exits when the channel closes
 * (the relay ended, or the training process died) and after 'close'.
 *
 * Backend: wasm when @tensorflow/tfjs-backend-wasm resolves (the fastest
 * that installs everywhere, and it runs beside training on another core);
 * otherwise cpu, but only when training itself runs on cpu — a cpu worker
 * measuring for a wasm or tfjs-node training thread would fall far behind,
 * and the monitor measures on the thread instead.
 *
 * Priority: the lowest (nice 19) for every thread of this process — its own
 * thread, V8's garbage collection and compilation helpers, libuv's pool —
 * so that on 2 cores the measurement takes what training leaves, and a busy
 * machine means fewer measurements, not slower training. On Linux a nice
 * value belongs to one thread, so each is lowered; threads started later by
 * a lowered thread inherit it. Elsewhere (macOS, Windows) the value belongs
 * to the whole process, which is this one alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { measureHandler } from './measure-handler.js';
import type { FromWorker, InitMessage, ToWorker } from './messages.js';

async function chooseBackend(init: InitMessage): Promise<string> {
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

/** Lowers every thread of this process to nice 19 (see above); a sandbox that forbids it leaves the process measuring at its priority. */
function lowerPriority(): void {
  const threads = process.platform === 'linux' ? readdirSync('/proc/self/task').map(Number) : [0];
  for (const tid of threads) {
    try {
      setPriority(tid, 19);
    } catch {
      // the thread ended while we listed, or the sandbox forbids it
    }
  }
}

lowerPriority();

async function selectBackend(init: InitMessage): Promise<string> {
  const name = await chooseBackend(init);
  lowerPriority(); // a backend's start may add threads of its own
  return name;
}

/**
 * This thread's CPU time (user + system) from the kernel's record of it, on
 * Linux; null elsewhere. In clock ticks of 10 ms (USER_HZ is 100 on every
 * Linux Node supports).
 */
function threadCpuMs(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime: fields 14 and 15 of proc(5)
  } catch {
    return null;
  }
}

const post = (reply: FromWorker) => void process.send?.(reply);
const cpuKnown = threadCpuMs() !== null;
const handle = measureHandler({ selectBackend, post, ...(cpuKnown ? { cpuMs: () => threadCpuMs() ?? 0 } : {}) });
// In order; a snapshot only lands in the handler's mailbox (measure-handler.ts), so the next message is read at once.
let chain = Promise.resolve();
process.on('message', (msg: ToWorker) => {
  chain = chain.then(() => handle(msg));
  if (msg.type === 'close') void chain.then(() => process.disconnect());
});
// The relay thread or the training process is gone: nobody is left to measure for.
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches every process of a Windows console, and a service manager's
// SIGTERM every process of the service: a training script that traps them to
// stop gracefully still has its measurement. This process ends with the run,
// or when its channel closes (on POSIX the relay also starts it in a process
// group of its own, which a terminal's signals do not reach).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => undefined);
