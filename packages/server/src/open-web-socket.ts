import WebSocket from 'ws';

/**
 * What a websocket client offers, in the shape of the browser's WebSocket:
 * the callback's publisher uses the same code over the browser's socket and
 * over this one. Declared here so that the package's public types do not
 * depend on `ws`'s own.
 */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** A `ws` client connecting to `url` (Node 20 has no WebSocket of its own): what the callback publishes through in Node. */
export function openWebSocket(url: string): WebSocketLike {
  return new WebSocket(url) as unknown as WebSocketLike;
}
