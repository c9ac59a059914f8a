/** What the monitor needs from the place it runs in (see platform.ts for how one is chosen). */
import type { EventSink, RunLog } from '../monitor/sinks.js';
import type { SocketFactory } from '../monitor/publisher-socket.js';
import type { MeasureWorkerLink } from '../measure-worker/link.js';
import type { WatchPauses } from '../monitor/yield-collections.js';

/** What an open run does when the process is ending (Platform.watchExit). */
export interface ExitWatcher {
  /** An uncaught error is being raised; the process may end at once, or go on. */
  uncaught(err: Error): void;
  /** The process exits with `code`; `uncaught`: the uncaught error it ends on, if one does. Synchronous work only. */
  exit(code: number, uncaught: Error | null): void;
  /**
   * `signal` arrived (Ctrl-C's SIGINT, SIGTERM, SIGHUP). `ending`: the program does not handle it, and the process
   * ends by it now; else its handler decides (write what is buffered, nothing more). Synchronous work only.
   */
  signal(signal: string, ending: boolean): void;
}

/** The calling thread's run-queue wait, read again and again (Platform.openRunQueueClock). */
export interface RunQueueClock {
  /** The wait so far (ms); null where the OS does not tell. */
  waitMs(): number | null;
  /** Closes what the clock holds open; waitMs() is null after. */
  close(): void;
}

/** The clock where the OS does not tell (a page, macOS, Windows), or nothing is to be read. */
export const SILENT_CLOCK: RunQueueClock = { waitMs: () => null, close: () => {} };

export interface Platform {
  readonly name: 'node' | 'browser';
  /** The `logdir` option's default: './gradscope-runs' in Node, false (nothing written) in a page. */
  readonly defaultLogdir: string | false;
  /**
   * Options given to gradscope() that this platform cannot honour, said when
   * gradscope() is called rather than at the first fit(): throws for what
   * cannot work at all, warns for what would do nothing.
   */
  checkOptions(given: { logdir?: string | false; serve?: boolean; url?: string }): void;
  /** Opens the run's events.jsonl in `logdir` (which the publisher reads back from); throws naming the folder when it cannot. */
  openLogdirSink(logdir: string, runId: string): Promise<RunLog>;
  /** A sink feeding the embedded dashboard server for `logdir` (started on first use); null when there is none. */
  embeddedServerSink(logdir: string, runId: string): Promise<EventSink | null>;
  /** How to open a websocket to a `gradscope serve`; throws saying what is missing. */
  socketFactory(): Promise<SocketFactory>;
  /** Keeps the embedded server up until Ctrl-C (resolves at once where there is none). */
  serveForever(): Promise<void>;
  /** Registers and selects the wasm backend; resolves to why not when it cannot (null: selected). */
  selectWasm(): Promise<string | null>;
  /** Starts a measurement worker beside training (a child process in Node, a Web Worker in a page); throws saying why it cannot. */
  startMeasureWorker(): Promise<MeasureWorkerLink>;
  /**
   * A clock of the calling thread's time runnable but waiting for a CPU
   * (ms), where the OS tells (Linux); its readings are null elsewhere.
   * Close it when done.
   */
  openRunQueueClock(): RunQueueClock;
  /** Reports the calling thread's garbage-collection pauses (Node); null where none are reported (a page). */
  readonly watchGcPauses: WatchPauses;
  /**
   * Tells an open run that the process is ending (Node; see
   * node/process-exit.ts): `uncaught` as an uncaught error is raised (write
   * what is buffered), `exit` at the 'exit' event (end the run,
   * synchronously). Returns the function that stops watching. A page: never.
   */
  watchExit(watcher: ExitWatcher): () => void;
}
