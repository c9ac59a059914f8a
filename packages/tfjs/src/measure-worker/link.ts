import type { FromWorker, ToWorker } from './messages.js';

/** A worker not started, by choice rather than failure: its message says why, whole, to the user. */
export class WorkerDeclined extends Error {}

/**
 * The training thread's end of a measurement worker, whatever runs it (a
 * child process in Node, a Web Worker in a page; see the platforms).
 * Replies are polled between training steps: they arrive while the
 * training thread's event loop runs (the monitor lets it, every
 * YIELD_EVERY_MS of training, since a training loop that only awaits
 * microtasks never would) and wait for the next poll.
 */
export interface MeasureWorkerLink {
  /** Posts a message; a page's worker is handed the buffers in `transfer` (they become unusable here), a process gets a copy. */
  post(msg: ToWorker, transfer?: ArrayBuffer[]): void;
  /** The oldest reply not yet taken, or undefined when none has arrived. */
  poll(): FromWorker | undefined;
  /** Why the worker is gone (it crashed or exited), or null while it runs. */
  readonly died: Error | null;
  /** The backend the worker should use, or null when its entry chooses (Node: wasm). */
  readonly backend: string | null;
  /**
   * At a run's end, whether the training thread measures a snapshot the
   * worker has not got to (a worker still starting, or far slower than
   * usual) rather than wait for it. Node: yes, the run's end pays the time
   * either way, and a starved worker's can be far longer. A page: no, a
   * measurement there would block the page, while waiting does not.
   */
  readonly threadTakesOver: boolean;
  /** Ends the worker at once; resolves when it has exited, or (Node) after EXIT_WAIT_MS when it has not yet. */
  terminate(): Promise<void>;
}
