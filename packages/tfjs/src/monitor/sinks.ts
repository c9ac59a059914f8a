import type { GradscopeEvent } from '@gradscope/protocol';
import type { SpooledEvent } from './publish-spool.js';

/**
 * Where events go. write() must be cheap and must not throw: it runs inside
 * training. flush() pushes out what is buffered; close() flushes and frees.
 */
export interface EventSink {
  readonly name: string;
  write(event: GradscopeEvent): void;
  flush(): Promise<void>;
  close(): Promise<void>;
  /**
   * The process may be ending (Platform.watchExit): write what is buffered,
   * synchronously, where the sink can (the logdir file). A sink without it
   * loses what it has not sent (a socket: the server marks the run
   * incomplete).
   */
  flushNow?(): void;
  /** The process exits: flushNow(), and close what the sink holds (the file, its writer lock), synchronously. */
  closeAtExit?(): void;
}

/**
 * A sink that keeps the whole run and can read it back: the logdir file in
 * Node. The websocket publisher resends from it when a server asks for
 * events it no longer holds in memory.
 */
export interface RunLog extends EventSink {
  /** Events from seq `from` on, consecutive, at most `maxCount` and about `maxBytes` (at least one). */
  readBack(from: number, maxCount: number, maxBytes: number): Promise<SpooledEvent[]>;
}
