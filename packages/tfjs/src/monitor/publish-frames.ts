/**
 * How a run of events becomes websocket frames the server accepts: each
 * frame within the server's byte limit (its maxPayload, 16 MiB by default),
 * and an event too large for any frame set apart, so the publisher can skip
 * it with the `gap` extension instead of sending a frame the server would
 * cut off — forever, on every reconnect.
 */
import type { SpooledEvent } from './publish-spool.js';

export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** `{"type":"events","gap":true,"events":[` … `]}` with room to spare. */
const FRAME_OVERHEAD = 64;

export type FramePiece = { frame: SpooledEvent[] } | { oversize: SpooledEvent };

/** Splits consecutive events, in order, into frames of at most `maxFrameBytes` and the events no frame can hold. */
export function planFrames(events: SpooledEvent[], maxFrameBytes: number): FramePiece[] {
  const pieces: FramePiece[] = [];
  let frame: SpooledEvent[] = [];
  let bytes = FRAME_OVERHEAD;
  const close = () => {
    if (frame.length > 0) pieces.push({ frame });
    frame = [];
    bytes = FRAME_OVERHEAD;
  };
  for (const e of events) {
    if (FRAME_OVERHEAD + e.bytes > maxFrameBytes) {
      close();
      pieces.push({ oversize: e });
      continue;
    }
    if (frame.length > 0 && bytes + e.bytes + 1 > maxFrameBytes) close();
    frame.push(e);
    bytes += e.bytes + 1; // and the comma
  }
  close();
  return pieces;
}

/** The `events` frame (PROTOCOL.md "Publishers"); `gap` declares that the events before the first were lost. */
export function eventsFrame(events: SpooledEvent[], gap: boolean): string {
  return `{"type":"events",${gap ? '"gap":true,' : ''}"events":[${events.map((e) => e.line).join(',')}]}`;
}
