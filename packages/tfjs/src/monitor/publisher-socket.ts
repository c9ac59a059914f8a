import { PUBLISH_PATH } from '@gradscope/protocol';

/**
 * The socket the publisher talks through, and the address it connects to.
 * The interface is the part of the WebSocket API the publisher uses: both
 * `ws` (Node) and a browser's WebSocket have it.
 */
export interface SocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: any) => void) | null;
}
export type SocketFactory = (url: string) => SocketLike;

/** ws://host:port → ws://host:port/ws/publish (a URL that already names a path is kept). */
export function publishUrl(url: string): string {
  const u = new URL(url);
  if (u.pathname === '/' || u.pathname === '') u.pathname = PUBLISH_PATH;
  return u.toString();
}
