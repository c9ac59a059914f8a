import type { ExitWatcher } from '../platform-interface.js';

/**
 * Tells a run when this process is ending while it is still open (a fit()
 * that threw, a custom loop that never called close()), so that it can
 * write what it holds: the writer flushes once a second, and its last
 * second is what shows how training failed.
 *
 * - `uncaught(err)`: an uncaught error is being raised (an exception, or a
 *   rejected `await model.fit(...)` at a module's top level), read through
 *   'uncaughtExceptionMonitor', which observes without changing what Node
 *   does with it. The process may end without an 'exit' event: tfjs's wasm
 *   backend installs an 'uncaughtException' handler that throws again, and
 *   Node then exits with code 7 at once. Or it may go on, where a handler
 *   of the program's own catches the error. So the run writes what is
 *   buffered, and nothing more.
 * - `exit(code, uncaught)`: 'exit' (the script ended, process.exit(), or
 *   an uncaught error Node handled itself), with the exit code and, when
 *   it is not 0, the last uncaught error raised while the run watched (an
 *   error a handler of the program's own caught, before a clean exit, is
 *   not why the process ended). Only synchronous work runs after it.
 *
 * - `signal(name)`: SIGINT (Ctrl-C), SIGTERM or SIGHUP, whose default
 *   action ends the process at once, arrived and the program has no
 *   handler of its own for it. The run writes what it holds and its
 *   run-end; then the watch takes its listeners off and sends the signal
 *   again, so the process ends by it as it would have (a shell sees 130
 *   for Ctrl-C). Why: the writer flushes once a second, and Ctrl-C, the
 *   usual way to stop training, lost up to that second of events the
 *   console had already shown, and the run-end. Where the program
 *   handles the signal, its handler decides; a process.exit() there
 *   reaches `exit`.
 *
 * A process killed by SIGKILL gets none of these: its run keeps what the
 * last flush wrote, and a server shows it as incomplete.
 * Process listeners are installed while at least one run watches, so a
 * finished run leaves none behind.
 */

/** Every watching run, with the last uncaught error raised while it watched. */
const watchers = new Map<ExitWatcher, Error | null>();

/** Calls `call` on every watcher; one watcher's failure must not keep the others from writing. */
function each(call: (w: ExitWatcher) => void): void {
  for (const watcher of [...watchers.keys()]) {
    try {
      call(watcher);
    } catch {
      // The process is ending: nothing to tell, nowhere to tell it.
    }
  }
}

function onUncaught(err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  for (const watcher of watchers.keys()) watchers.set(watcher, error);
  each((w) => w.uncaught(error));
}

function onExit(code: number): void {
  each((w) => w.exit(code, code !== 0 ? (watchers.get(w) ?? null) : null));
}

/** Signals whose default action ends the process. */
const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Marks this watch's signal listener, under a key every copy of gradscope in
 * the process shares: two copies (two installed versions) would each see
 * the other's listener as the program's handler, and Ctrl-C would end
 * nothing. Each copy ends its own runs and sends the signal again; the last
 * one's leaves the signal's default action.
 */
const OURS = Symbol.for('gradscope: ends open runs at a signal');

function onSignal(signal: NodeJS.Signals): void {
  // The program handles it (a listener that is not a gradscope watch): its handler decides whether and how the process ends.
  if (process.listeners(signal).some((listener) => !(OURS in listener))) return;
  each((w) => w.signal(signal));
  stopListening();
  watchers.clear();
  // No listener left: the signal's default action again, and the process ends by it, as it would have.
  process.kill(process.pid, signal);
}

Object.defineProperty(onSignal, OURS, { value: true });

function startListening(): void {
  process.on('exit', onExit);
  process.on('uncaughtExceptionMonitor', onUncaught);
  for (const signal of ENDING_SIGNALS) process.on(signal, onSignal);
}

function stopListening(): void {
  process.off('exit', onExit);
  process.off('uncaughtExceptionMonitor', onUncaught);
  for (const signal of ENDING_SIGNALS) process.off(signal, onSignal);
}

/** Watches this process's end for one run until the returned function is called. */
export function watchProcessExit(watcher: ExitWatcher): () => void {
  if (watchers.size === 0) startListening();
  watchers.set(watcher, null);
  return () => {
    if (!watchers.delete(watcher) || watchers.size > 0) return;
    stopListening();
  };
}
