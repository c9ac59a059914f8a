/**
 * One training process (/ws/publish). It says hello with its run id (and
 * the token when the server has one), learns the highest seq stored for
 * that run, then sends batches of events. Each batch is validated whole,
 * appended to disk, acknowledged, and only then broadcast.
 *
 * Seqs at or below the stored lastSeq are duplicates (a resend after a
 * reconnect) and are skipped; a batch that does not continue at lastSeq + 1
 * gets a 'gap' error frame (the socket stays open; the publisher resends
 * from the lastSeq it is told), unless it says `gap: true` — a publisher
 * whose bounded spool had to drop events declares the hole.
 */
import WebSocket from 'ws';
import { CLOSE_CODES, encodeEvent, parsePublisherMessage, ProtocolError, validateEvent, type GradscopeEvent, type ServerErrorCode } from '@gradscope/protocol';
import { errorFrame } from './frames.js';
import type { Hub } from './hub.js';
import { RateLimiter } from './rate-limit.js';
import { tokenMatches } from './security.js';

export class Publisher {
  private runId: string | null = null;
  private readonly limiter: RateLimiter;
  private readonly helloTimer: ReturnType<typeof setTimeout>;

  constructor(
    readonly ws: WebSocket,
    private readonly hub: Hub,
  ) {
    // Publishers send batches (up to hundreds of events each); 5× the subscriber rate still stops a flood of tiny frames.
    this.limiter = new RateLimiter(hub.options.framesPerSecond * 5, hub.options.framesPerSecond * 10);
    const helloMs = hub.options.helloTimeoutMs;
    this.helloTimer = setTimeout(() => this.fail('not-hello', `no hello within ${helloMs / 1000} s`, CLOSE_CODES.policy), helloMs);
    this.helloTimer.unref();
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('close', () => this.onClose());
  }

  /** The run this connection publishes (after hello). */
  get run(): string | null {
    return this.runId;
  }

  /** Sends an error frame and closes with `closeCode`. */
  fail(code: ServerErrorCode, message: string, closeCode: number): void {
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(errorFrame(code, message));
      this.ws.close(closeCode, code);
    }
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    const stats = this.hub.stats;
    if (!this.limiter.take()) {
      stats.floods++;
      return this.fail('flood', `more than ${this.hub.options.framesPerSecond * 5} frames per second; batch events instead`, CLOSE_CODES.policy);
    }
    if (isBinary) {
      stats.binaryFrames++;
      return this.fail('binary', 'binary frames are not supported; send JSON text', CLOSE_CODES.unsupportedData);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString('utf8'));
    } catch (err) {
      stats.invalidJson++;
      return this.fail('invalid-json', `invalid JSON: ${(err as Error).message}`, CLOSE_CODES.malformed);
    }
    let msg;
    try {
      msg = parsePublisherMessage(parsed);
    } catch (err) {
      const unknown = err instanceof ProtocolError && err.path === 'message.type';
      if (unknown) stats.unknownTypes++;
      else stats.invalidMessages++;
      return this.fail(unknown ? 'unknown-type' : 'invalid-message', (err as Error).message, CLOSE_CODES.malformed);
    }
    if (msg.type === 'hello') return void this.hello(msg.runId, msg.token);
    if (this.runId === null) {
      stats.invalidMessages++;
      return this.fail('not-hello', 'send { "type": "hello", "runId" } first', CLOSE_CODES.malformed);
    }
    this.events(msg.events, msg.gap === true);
  }

  private helloPending = false;

  private async hello(runId: string, token: string | undefined): Promise<void> {
    const hub = this.hub;
    if (this.runId !== null || this.helloPending) {
      hub.stats.invalidMessages++;
      return this.fail('invalid-message', 'hello was already sent on this connection', CLOSE_CODES.malformed);
    }
    if (hub.options.token !== null && !tokenMatches(hub.options.token, token)) {
      hub.stats.badTokens++;
      return this.fail('bad-token', 'missing or wrong publisher token', CLOSE_CODES.policy);
    }
    clearTimeout(this.helloTimer);
    let lastSeq: number;
    this.helloPending = true;
    try {
      lastSeq = await hub.attachPublisher(runId, this);
    } catch (err) {
      hub.stats.storageErrors++;
      return this.fail('storage', `cannot store run ${runId}: ${(err as Error).message}`, 1011);
    }
    this.helloPending = false;
    if (this.ws.readyState !== WebSocket.OPEN) return hub.detachPublisher(runId, this);
    this.runId = runId;
    hub.stats.publishersAccepted++;
    this.ws.send(JSON.stringify({ type: 'welcome', runId, lastSeq }));
  }

  private events(raw: unknown[], gapDeclared: boolean): void {
    const hub = this.hub;
    const runId = this.runId!;
    const run = hub.store.get(runId)!;
    const fresh: GradscopeEvent[] = [];
    let expected = run.lastSeq + 1;
    for (let i = 0; i < raw.length; i++) {
      let event: GradscopeEvent;
      try {
        event = validateEvent(raw[i]);
      } catch (err) {
        hub.stats.invalidEvents++;
        return this.fail('invalid-event', `events[${i}]: ${(err as Error).message}`, CLOSE_CODES.malformed);
      }
      if (event.runId !== runId) {
        hub.stats.invalidEvents++;
        return this.fail('wrong-run', `events[${i}].runId is ${event.runId}, but this connection publishes ${runId}`, CLOSE_CODES.malformed);
      }
      if (event.seq < expected) {
        hub.stats.duplicatesIgnored++;
        continue;
      }
      if (event.seq > expected && !(gapDeclared && fresh.length === 0)) {
        hub.stats.gapsRejected++;
        this.ws.send(errorFrame('gap', `events[${i}].seq is ${event.seq} but ${expected} was expected; resend from seq ${expected}`));
        break; // store the consecutive prefix; the ack tells the publisher where to resume
      }
      if (event.seq > expected) hub.stats.gapsAccepted++;
      fresh.push(event);
      expected = event.seq + 1;
    }
    let stored: { seq: number; line: string }[] = [];
    if (fresh.length > 0) {
      try {
        stored = hub.append(runId, fresh.map((e) => ({ event: e, line: encodeEvent(e) })));
      } catch (err) {
        hub.stats.storageErrors++;
        return this.fail('storage', `cannot append to run ${runId}: ${(err as Error).message}`, 1011);
      }
    }
    // On disk, then acknowledged, then broadcast: a subscriber never sees an event the store could lose.
    this.ws.send(JSON.stringify({ type: 'ack', lastSeq: run.lastSeq }));
    if (stored.length > 0) hub.broadcast(runId, stored);
  }

  private onClose(): void {
    clearTimeout(this.helloTimer);
    if (this.runId !== null) this.hub.detachPublisher(this.runId, this);
    this.runId = null;
  }
}
