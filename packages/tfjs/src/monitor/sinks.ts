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
