/**
 * One training process (/ws/publish). It says hello with its run id (the
 * token when the server has one, and the run's secret when it reconnects),
 * learns the highest seq stored for that run and the run's secret, then
 * sends batches of events. Each batch is validated whole, stored, acknowledged,
 * and only then broadcast.
 *
 * Seqs at or below the stored lastSeq are duplicates (a resend after a
 * reconnect) and are skipped; a batch that does not continue at lastSeq + 1
 * gets a 'gap' error frame (the socket stays open; the publisher resends
 * from the lastSeq it is told), unless it says `gap: true` — a publisher
 * whose bounded spool had to drop events declares the hole.
 *
 * Protocol rules enforced per run: seq 0 is run-start; nothing after
 * run-end; a run-start at seq 0 unlike the stored one is another run
 * reusing the id and is refused; a replaced connection's later frames are
 * refused (the run is its successor's).
 */
import WebSocket from 'ws';
import { CLOSE_CODES, encodeEvent, parsePublisherMessage, validateEvent, type GradscopeEvent, type PublisherMessage, type ServerErrorCode } from '@gradscope/protocol';
import { parseClientFrame } from './client-frame.js';
import { errorFrame } from './frames.js';
import { HelloRefused, type Hub, type PublisherLink } from './hub.js';
import { RateLimiter, type AddressLimiter } from './rate-limit.js';
import { tokenMatches } from './security.js';

/** The close code of each error a publisher can be closed with. */
const CLOSE_FOR: Partial<Record<ServerErrorCode, number>> = {
  binary: CLOSE_CODES.unsupportedData,
  flood: CLOSE_CODES.policy,
  'bad-token': CLOSE_CODES.policy,
};

export class Publisher implements PublisherLink {
  private runId: string | null = null;
  private helloPending = false;
  private readonly limiter: RateLimiter;
  private readonly helloTimer: ReturnType<typeof setTimeout>;

  constructor(
    readonly ws: WebSocket,
    private readonly hub: Hub,
    /** Failed token and secret attempts, per remote address. */
    private readonly attempts: AddressLimiter,
    private readonly address: string,
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
    const frame = parseClientFrame<PublisherMessage>(data, isBinary, parsePublisherMessage, stats);
    if (!frame.ok) return this.fail(frame.code, frame.message, CLOSE_FOR[frame.code] ?? CLOSE_CODES.malformed);
    const msg = frame.message;
    if (msg.type === 'hello') return void this.hello(msg.runId, msg.token, msg.secret);
    if (this.runId === null) {
      stats.invalidMessages++;
      return this.fail('not-hello', 'send { "type": "hello", "runId" } first', CLOSE_CODES.malformed);
    }
    this.events(msg.events, msg.gap === true);
  }

  private async hello(runId: string, token: string | undefined, secret: string | undefined): Promise<void> {
    const hub = this.hub;
    if (this.runId !== null || this.helloPending) {
      hub.stats.invalidMessages++;
      return this.fail('invalid-message', 'hello was already sent on this connection', CLOSE_CODES.malformed);
    }
    if (!this.attempts.allowed(this.address)) {
      hub.stats.badTokens++;
      return this.fail('bad-token', `too many wrong tokens or secrets from ${this.address}; wait a minute before trying again`, CLOSE_CODES.policy);
    }
    if (hub.options.token !== null && !tokenMatches(hub.options.token, token)) {
      hub.stats.badTokens++;
      this.attempts.failed(this.address);
      return this.fail('bad-token', 'missing or wrong publisher token', CLOSE_CODES.policy);
    }
    clearTimeout(this.helloTimer);
    this.helloPending = true;
    let welcome: { lastSeq: number; secret: string };
    try {
      welcome = await hub.attachPublisher(runId, this, secret);
    } catch (err) {
      this.helloPending = false;
      const refused = err instanceof HelloRefused ? err : new HelloRefused('storage', `cannot store run ${runId}: ${(err as Error).message}`, CLOSE_CODES.internal);
      if (refused.code === 'not-publisher') {
        hub.stats.refusedHellos++;
        if (secret !== undefined) this.attempts.failed(this.address);
      }
      return this.fail(refused.code, refused.message, refused.closeCode);
    }
    this.helloPending = false;
    if (this.ws.readyState !== WebSocket.OPEN) return hub.detachPublisher(runId, this);
    this.runId = runId;
    hub.stats.publishersAccepted++;
    this.ws.send(JSON.stringify({ type: 'welcome', runId, lastSeq: welcome.lastSeq, secret: welcome.secret }));
  }

  private events(raw: unknown[], gapDeclared: boolean): void {
    const hub = this.hub;
    const runId = this.runId!;
    if (!hub.isCurrent(runId, this)) {
      // Replaced: its successor owns the run now, and this connection is closing. Nothing it sends is stored or acknowledged.
      hub.stats.staleFrames++;
      return;
    }
    const run = hub.store.get(runId)!;
    const fresh: GradscopeEvent[] = [];
    let expected = run.lastSeq + 1;
    let endedAt = run.ended !== null ? run.lastSeq : null;
    let refusal: { code: ServerErrorCode; message: string; close: number } | null = null;
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
      if ((event.seq === 0) !== (event.type === 'run-start')) {
        hub.stats.invalidEvents++;
        const message = event.seq === 0 ? `events[${i}] has seq 0 but is a ${event.type}: a run starts with run-start` : `events[${i}] is a run-start at seq ${event.seq}: run-start is seq 0 only`;
        return this.fail('invalid-event', message, CLOSE_CODES.malformed);
      }
      if (event.seq < expected) {
        if (event.type === 'run-start' && run.runStartTime !== null && event.time !== run.runStartTime) {
          refusal = { code: 'run-exists', message: `run ${runId} already exists (started at ${new Date(run.runStartTime).toISOString()}); a new run needs a new runId`, close: CLOSE_CODES.runExists };
          break;
        }
        hub.stats.duplicatesIgnored++;
        continue;
      }
      if (endedAt !== null) {
        refusal = { code: 'run-ended', message: `events[${i}] (seq ${event.seq}) follows the run's run-end (seq ${endedAt}); nothing is stored after run-end`, close: CLOSE_CODES.runExists };
        break;
      }
      if (event.seq > expected && !(gapDeclared && fresh.length === 0)) {
        hub.stats.gapsRejected++;
        this.ws.send(errorFrame('gap', `events[${i}].seq is ${event.seq} but ${expected} was expected; resend from seq ${expected}`));
        break; // store the consecutive prefix; the ack tells the publisher where to resume
      }
      if (event.seq > expected) hub.stats.gapsAccepted++;
      fresh.push(event);
      expected = event.seq + 1;
      if (event.type === 'run-end') endedAt = event.seq;
    }
    let stored: { seq: number; line: string }[] = [];
    if (fresh.length > 0) {
      try {
        stored = hub.append(runId, this, fresh.map((e) => ({ event: e, line: encodeEvent(e) })));
      } catch (err) {
        return this.fail('storage', `cannot append to run ${runId}: ${(err as Error).message}; nothing of this batch was acknowledged`, CLOSE_CODES.internal);
      }
    }
    // Stored, then acknowledged, then broadcast: a subscriber never sees an event the store could lose.
    this.ws.send(JSON.stringify({ type: 'ack', lastSeq: run.lastSeq }));
    if (stored.length > 0) hub.broadcast(runId, stored);
    if (refusal) {
      hub.stats.invalidEvents++;
      this.fail(refusal.code, refusal.message, refusal.close);
    }
  }

  private onClose(): void {
    clearTimeout(this.helloTimer);
    if (this.runId !== null) this.hub.detachPublisher(this.runId, this);
    this.runId = null;
  }
}
