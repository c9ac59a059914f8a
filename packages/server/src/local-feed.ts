import type { GradscopeEvent } from '@gradscope/protocol';

/** A run produced in the server's own process (the embedded server): its events enter the hub without a socket. */
export interface LocalFeed {
  write(event: GradscopeEvent): void;
  close(): void;
}
