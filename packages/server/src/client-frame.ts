/**
 * One parse of a client's websocket frame, for publishers and subscribers:
 * binary refused, JSON parsed, the message validated by the protocol's
 * parser. The answer is the message, or the error code to send and the
 * counter it goes to.
 */
import { ProtocolError, type ServerErrorCode } from '@gradscope/protocol';
import type { ServerStats } from './stats.js';

export type ParsedFrame<M> = { ok: true; message: M } | { ok: false; code: ServerErrorCode; message: string };

export function parseClientFrame<M>(data: Buffer, isBinary: boolean, parse: (x: unknown) => M, stats: ServerStats): ParsedFrame<M> {
  if (isBinary) {
    stats.binaryFrames++;
    return { ok: false, code: 'binary', message: 'binary frames are not supported; send JSON text' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch (err) {
    stats.invalidJson++;
    return { ok: false, code: 'invalid-json', message: `invalid JSON: ${(err as Error).message}` };
  }
  try {
    return { ok: true, message: parse(parsed) };
  } catch (err) {
    const unknown = err instanceof ProtocolError && err.path === 'message.type';
    if (unknown) stats.unknownTypes++;
    else stats.invalidMessages++;
    return { ok: false, code: unknown ? 'unknown-type' : 'invalid-message', message: (err as Error).message };
  }
}
