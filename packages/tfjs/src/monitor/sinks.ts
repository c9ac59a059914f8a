import type { GradscopeEvent } from '@gradscope/protocol';

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
