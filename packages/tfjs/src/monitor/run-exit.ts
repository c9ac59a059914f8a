/**
 * A run's watch of the process's end: an uncaught error, process.exit(), or
 * a signal that ends the process (platform().watchExit) while the run is
 * still open. The run's events are written first, and a run-end says why
 * the run ended there.
 */
import { platform } from '../platform/platform.js';

/** What the watch needs of an open run (RunSession). */
export interface ExitingRun {
  /** Every sink that can writes what it holds, synchronously: the process may be ending. */
  flushNow(): void;
  /** The process exits with the run open: run-end (with exitReason's words), then every sink writes and closes, synchronously. */
  endAtExit(code: number | null, uncaught: Error | null, signal?: string): void;
}

/** Stops the watch of a run that was collected without being ended (an ended run stops its own). */
const DROPPED_RUNS = new FinalizationRegistry<() => void>((unwatch) => unwatch());

/**
 * Watches the process's end for `run`; returns what stops the watch. The
 * watch reaches the run through a WeakRef, as the collections' watch does:
 * a run never ended (its fit threw, its monitor was dropped) must not be
 * kept for the life of the process, and once it is collected its watch
 * stops.
 */
export function watchRunExit(run: ExitingRun): () => void {
  const unwatch = watchThrough(new WeakRef(run));
  DROPPED_RUNS.register(run, unwatch, run);
  return () => {
    unwatch();
    DROPPED_RUNS.unregister(run);
  };
}

/**
 * The watch itself, in a scope of its own: its listeners, kept by the
 * platform for the life of the process, must reach the run only through
 * `ref`. (watchRunExit's stop function does hold the run; only the run
 * itself keeps it.)
 */
function watchThrough(ref: WeakRef<ExitingRun>): () => void {
  return platform().watchExit({
    uncaught: () => ref.deref()?.flushNow(),
    exit: (code, uncaught) => ref.deref()?.endAtExit(code, uncaught),
    signal: (signal, ending) => {
      const open = ref.deref();
      if (ending) open?.endAtExit(null, null, signal);
      else open?.flushNow();
    },
  });
}

/** Why a run still open when the process ended has failed: the run-end's reason. */
export function exitReason(code: number | null, uncaught: Error | null, signal?: string): string {
  if (signal) return `the process was ended by ${signal}${signal === 'SIGINT' ? ' (Ctrl-C)' : ''} while the run was open`;
  if (uncaught) return `the process ended on an uncaught error while the run was open: ${uncaught.message}`;
  return `the process exited (code ${code}) while the run was open: its fit() had not finished, or a custom loop had not called monitor.close()`;
}
