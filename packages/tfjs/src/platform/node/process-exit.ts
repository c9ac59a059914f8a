import { constants as osConstants } from 'node:os';
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
 * - `signal(name, ending)`: SIGINT (Ctrl-C), SIGTERM or SIGHUP, whose
 *   default action ends the process at once. Where the program has no
 *   handler of its own for it (`ending`), the run writes what it holds and
 *   its run-end; then the watch takes its listeners off and sends the
 *   signal again, so the process ends by it as it would have (a shell sees
 *   130 for Ctrl-C; where the signal cannot be sent, as SIGHUP on Windows,
 *   it exits with 128 + the signal's number). Why: the writer flushes once a second, and Ctrl-C, the
 *   usual way to stop training, lost up to that second of events the
 *   console had already shown, and the run-end. Where the program (or a
 *   library of it, such as signal-exit) handles the signal, the run writes
 *   what it holds and nothing more: the handler decides, and a
 *   process.exit() there reaches `exit`. A listener runs when the event
 *   loop turns: Ctrl-C takes effect at the next (the monitor yields every
 *   50 ms of training, see yield-to-event-loop.ts).
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

let signalsWatched = false;

/**
 * Signal listeners on or off. Prepended: the check in onSignal must see a
 * handler the program added with process.once(), which Node takes off
 * before it calls it.
 */
function watchSignals(on: boolean): void {
  if (on === signalsWatched) return;
  signalsWatched = on;
  for (const signal of ENDING_SIGNALS) {
    if (on) process.prependListener(signal, onSignal);
    else process.off(signal, onSignal);
  }
}

function onSignal(signal: NodeJS.Signals): void {
  if (process.listeners(signal).some((listener) => !(OURS in listener))) {
    // The program, or a library such as signal-exit, handles it and decides whether the process ends (a
    // process.exit() reaches onExit). The runs write what they hold now, in case it ends otherwise. And this
    // watch steps aside for the rest of this signal's dispatch: a handler that sends the signal again only
    // when it is the last listener (signal-exit's rule, and this one's) must find that it is, or Ctrl-C
    // would end nothing. Back on the next turn of the event loop.
    each((w) => w.signal(signal, false));
    watchSignals(false);
    setImmediate(() => watchSignals(watchers.size > 0)).unref();
    return;
  }
  each((w) => w.signal(signal, true));
  watchers.clear();
  stopListening();
  resend(signal);
}

/** With no listener left the signal's default action applies again, and the process ends by it, as it would have. */
function resend(signal: NodeJS.Signals): void {
  try {
    process.kill(process.pid, signal);
  } catch {
    // Windows sends only SIGINT, SIGTERM and SIGKILL to a process (SIGHUP is a closed console): end with the code a shell gives.
    process.exit(128 + (osConstants.signals[signal] ?? 0));
  }
}

Object.defineProperty(onSignal, OURS, { value: true });

function startListening(): void {
  process.on('exit', onExit);
  process.on('uncaughtExceptionMonitor', onUncaught);
  watchSignals(true);
}

function stopListening(): void {
  process.off('exit', onExit);
  process.off('uncaughtExceptionMonitor', onUncaught);
  watchSignals(false);
}

/** Watches this process's end for one run until the returned function is called. */
export function watchProcessExit(watcher: ExitWatcher): () => void {
  if (watchers.size === 0) startListening();
  watchers.set(watcher, null);
  return () => {
    if (!watchers.delete(watcher) || watchers.size > 0) return;
    process.off('exit', onExit);
    process.off('uncaughtExceptionMonitor', onUncaught);
    // The signal listeners a turn later: a signal that arrived while the run ended, in synchronous work, is
    // dispatched then (to onSignal, which has no run to end and sends it again). Taken off now, it was lost
    // with the listener, and the process went on.
    setImmediate(() => watchSignals(watchers.size > 0)).unref();
  };
}
