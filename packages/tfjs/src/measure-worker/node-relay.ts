/**
 * The training process's end of the Node measurement process: a
 * worker_threads thread that does nothing but carry messages between the
 * training thread's MessagePort and the measurement process (node-entry.js,
 * started here).
 *
 * Why a process and not this thread: V8 runs every isolate's garbage
 * collection helpers and background compilation on threads the whole
 * process shares, at the training thread's priority. A measurement
 * allocates ~11 MB of short-lived objects (tfjs's per-kernel bookkeeping),
 * and with the measurement in a worker thread those helpers competed with
 * training: in 13 s runs on 2 cores (SimpleRNN n = 64, T = 50, a
 * measurement at almost every step) the training process's other threads
 * used 4.1–4.4 s of CPU against 1.5 s without the worker, and the training
 * thread waited 0.9–1.3 s to run against under 0.1 s, from the kernel's
 * per-thread records. A process of its own has its own helpers, at its own
 * priority; with it, the training process's other threads used 1.2–1.8 s.
 *
 * Why this thread at all: the training thread reads replies synchronously
 * between steps (receiveMessageOnPort), which needs a MessagePort; a child
 * process's messages arrive only through the training thread's event loop,
 * which a training loop that awaits only microtasks never turns. This
 * thread has its own event loop and allocates little: one copy of each
 * message in, one out.
 *
 * On 'close' this thread kills the measurement process, waits for its exit
 * (reaping it, so no ended process stays in the process table), and ends.
 * If the process ends unasked, this thread throws, and the training thread
 * sees its worker gone (its `error`, naming the error the process wrote to
 * stderr as it ended). If the training process is killed, the IPC channel
 * closes and the measurement process exits (it listens for 'disconnect').
 * If this thread is terminated instead (terminate() gives it a second), the
 * process exits the same way, but nobody is left to reap it: it stays in the
 * process table, a zombie, until the training process ends.
 */
import { fork, spawn, spawnSync, type ChildProcess, type ForkOptions, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { workerData, type MessagePort } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './messages.js';

const { port, entry } = workerData as { port: MessagePort; entry: string };

/** util-linux's chrt on PATH (Linux), or null. */
function findChrt(): string | null {
  if (process.platform !== 'linux') return null;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir || '.', 'chrt');
    if (dir && existsSync(file)) return file;
  }
  return null;
}

/**
 * Whether `chrt` starts a program under SCHED_IDLE here: asked once, quietly
 * (a sandbox may forbid the policy; busybox's chrt takes no long options),
 * rather than read from the measurement process's exit, where chrt's
 * failure and node's own (a missing module) look alike.
 */
function idleWorks(chrt: string): boolean {
  return spawnSync(chrt, ['-i', '0', process.execPath, '--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

// The user's NODE_OPTIONS and flags (--inspect, a TypeScript loader, a heap
// limit for training) are for the training process; the measurement process
// runs only this package's built JavaScript and tfjs.
const env = { ...process.env };
delete env.NODE_OPTIONS;
// detached (POSIX): a session and process group of its own, so a terminal's
// Ctrl-C or a signal to the training process's group does not end the
// measurement under a training script that traps it to stop gracefully; the
// process still ends with the run, or when its channel closes. stderr passes
// through this thread, which keeps its end to say why the process ended.
const options: SpawnOptions = {
  env,
  serialization: 'advanced',
  stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  detached: process.platform !== 'win32',
};

/**
 * On Linux the process starts under SCHED_IDLE (`chrt -i 0`), which
 * every thread it makes inherits: the kernel then runs it only when a CPU has
 * nothing else to do, and a waking training thread takes the CPU back at
 * once. At nice 19 alone the training thread waited twice as long to run
 * (0.9–1.5 s against 0.5 s in 13–19 s runs on 2 cores, read from the
 * kernel's schedstat). Without chrt, or where it fails (a sandbox that
 * forbids the policy), the process is started plainly and lowers its own
 * threads to nice 19 (node-entry.ts).
 */
function start(): ChildProcess {
  const chrt = findChrt();
  return chrt && idleWorks(chrt)
    ? spawn(chrt, ['-i', '0', process.execPath, entry], options)
    : fork(entry, [], { ...options, execArgv: [] } as ForkOptions);
}

const child = start();
let closing = false;

/** The end of what the process wrote to stderr (passed on as it comes). */
let stderrTail = '';
child.stderr!.on('data', (chunk: Buffer) => {
  process.stderr.write(chunk);
  stderrTail = (stderrTail + chunk.toString()).slice(-4096);
});
/** The error the process ended on, from what node wrote (the last error line: an uncaught error's), or ''. */
function why(): string {
  const line = stderrTail.split('\n').filter((l) => /^(?:[A-Za-z]*Error\b|FATAL ERROR)/.test(l)).at(-1);
  return line ? `: ${line.trim()}` : '';
}

child.on('message', (reply: FromWorker) => port.postMessage(reply));
child.on('error', (err) => {
  if (!closing) throw new Error(`the measurement process could not start or be reached: ${err.message}`);
});
child.on('exit', () => {
  // Reaped: the port is all that keeps this thread, which now ends.
  if (closing) port.close();
});
// After its stderr has closed, so that what it wrote as it ended is read.
child.on('close', (code, signal) => {
  if (!closing) throw new Error(`the measurement process ended ${signal ? `on ${signal}` : `with code ${code}`}${why()}`);
});

/**
 * What waits for the message before it to be written to the process. The
 * process reads nothing while it measures, or while it gets no CPU (SCHED_IDLE
 * on busy cores), and the thread posts a snapshot at every due step: written
 * as they come, every one of them would be held here. A snapshot waiting
 * here is replaced by a newer one, answered 'skipped' as the process answers
 * one replaced in its own mailbox (init and the run's first are kept).
 */
const queue: ToWorker[] = [];
let writing = false;
function pump(): void {
  if (writing) return;
  const msg = queue.shift();
  // One that finds the process gone is dropped (its 'close' says what happened).
  if (!msg || !child.connected) return;
  writing = true;
  child.send(msg, () => {
    writing = false;
    pump();
  });
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'close') {
    // The run has ended and its last reply has been read: end the process
    // now rather than let it finish a measurement nobody will read.
    closing = true;
    queue.length = 0;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    else port.close();
    return;
  }
  const last = queue.at(-1);
  if (msg.type === 'snapshot' && !msg.first && last?.type === 'snapshot' && !last.first) {
    port.postMessage({ type: 'skipped', step: last.step } satisfies FromWorker);
    queue[queue.length - 1] = msg;
  } else {
    queue.push(msg);
  }
  pump();
});
