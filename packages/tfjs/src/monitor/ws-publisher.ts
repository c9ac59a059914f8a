/**
 * The live sink for `gradscope({ url })`: publishes a run to a gradscope
 * server over a websocket (`ws` in Node, the page's own WebSocket in a
 * browser). It never blocks training: write() only encodes the event into a
 * bounded spool; sending, acknowledgements and reconnection happen on
 * timers and socket callbacks.
 *
 * Protocol (PROTOCOL.md "Publishers"): hello → welcome { lastSeq } → frames
 * of events → ack { lastSeq }. The server is the authority on what it has:
 * after every welcome the publisher resends from the welcome's lastSeq + 1,
 * even when that is below what an earlier server acknowledged (a server
 * restarted with an empty or older logdir). Those events come from memory,
 * or, once acknowledged or evicted, from the run's logdir file (Node,
 * `readBack`). An event that exists nowhere any more (a page's bounded
 * spool, logdir: false) or that alone exceeds the server's frame limit is
 * skipped with the `gap` extension, counted once in `lost` and reported
 * through `onLost`.
 */
import { encodeEvent, type GradscopeEvent } from '@gradscope/protocol';
import { DEFAULT_MAX_FRAME_BYTES, eventsFrame, planFrames } from './publish-frames.js';
import { FILE_BACKED, MEMORY_ONLY, PublishSpool, utf8Length, type SpooledEvent } from './publish-spool.js';
import { FINAL_REFUSALS } from './publisher-refusals.js';
import { publishUrl, type SocketFactory, type SocketLike } from './publisher-socket.js';
import { SeqRanges } from './seq-ranges.js';
import type { EventSink } from './sinks.js';

/** Events the publisher had to give up on, with a sentence saying which and why. */
export interface Loss {
  count: number;
  message: string;
}

/** Events from seq `from` on, consecutive, read back from the run's log (at most about maxBytes). */
export type ReadBack = (from: number, maxCount: number, maxBytes: number) => Promise<SpooledEvent[]>;

export interface WsPublisherOptions {
  url: string;
  token: string | null;
  runId: string;
  connect: SocketFactory;
  /** Reads the run back from its logdir file (Node); null: memory is the only copy (a page, logdir: false). */
  readBack: ReadBack | null;
  /** Called (off the training path) when events are newly known lost. */
  onLost: (loss: Loss) => void;
  /** Longest wait in close() for the server to acknowledge everything. Default 5000 ms. */
  closeTimeoutMs?: number;
  /** The server's largest accepted frame (its maxPayload). Default 16 MiB, the server's default. */
  maxFrameBytes?: number;
  spool?: PublishSpool;
}

const BATCH_EVENTS = 500;
const BATCH_BYTES = 1024 * 1024;
const MAX_IN_FLIGHT = 8;
const HIGH_WATER = 2 * 1024 * 1024;
const MiB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export class WsPublisher implements EventSink {
  readonly name = 'websocket';
  private readonly spool: PublishSpool;
  private readonly maxFrameBytes: number;
  private socket: SocketLike | null = null;
  /** Counts connections, so a read-back that finishes after a reconnect is not sent on the new one. */
  private connection = 0;
  private welcomed = false;
  /** A server has welcomed this publisher at least once (the url is right, and something listens there). */
  private reached = false;
  /** Highest seq written by the monitor. */
  private lastSeq = -1;
  /** Highest seq sent on this connection. */
  private sentSeq = -1;
  /** Highest seq the current server says it has (welcome, then acks). */
  private serverSeq = -1;
  private inFlight = 0;
  /** The next frame declares a gap (events before it were skipped). */
  private pendingGap = false;
  /** A `gap` refusal came back: wait for the in-flight acks, then resend from the server's lastSeq. */
  private resyncing = false;
  private gapStreak = 0;
  private gapTimer: ReturnType<typeof setTimeout> | null = null;
  private reading = false;
  private attempt = 0;
  private stopped = false;
  private pumpScheduled = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private waiters: (() => void)[] = [];
  private readonly skipped = new SeqRanges();
  private readonly warned = new Set<string>();
  /** Connections the server closed with a reason worth retrying (not-hello, replaced, …), by code. */
  readonly closedBy: Record<string, number> = {};
  /** Events that never reached the server and exist nowhere else it could get them from. */
  lost = 0;
  /** The run's publisher secret from the server's welcome: every later hello carries it, proving this is the run's own publisher. */
  private secret: string | null = null;

  constructor(private readonly options: WsPublisherOptions) {
    this.spool = options.spool ?? new PublishSpool(options.readBack ? FILE_BACKED : MEMORY_ONLY);
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.connect();
  }

  /** Highest seq the current server has acknowledged. */
  get acknowledged(): number {
    return this.serverSeq;
  }

  write(event: GradscopeEvent): void {
    const line = encodeEvent(event);
    this.spool.push({ seq: event.seq, line, bytes: utf8Length(line) });
    this.lastSeq = event.seq;
    this.schedulePump();
  }

  async flush(): Promise<void> {
    this.pump();
  }

  /** Waits (bounded) until the server has everything that can be delivered, then closes the socket. */
  async close(): Promise<void> {
    this.pump();
    if (!this.stopped && !this.settled()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.closeTimeoutMs ?? 5000);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.stop();
    this.socket?.close(1000, 'run closed');
    const missing = this.unacknowledged();
    if (missing > 0) {
      const why = this.reached ? 'it stopped answering' : 'it was never reached';
      const where = this.options.readBack ? 'the logdir file has them' : 'nothing else kept them (a page, or logdir: false), so they are lost';
      console.warn(`gradscope: ${missing} event${missing === 1 ? '' : 's'} of run ${this.options.runId} ${missing === 1 ? 'was' : 'were'} not stored by a server at ${this.options.url} (${why}; the run's end waited ${this.closeWaitS} s for it); ${where}`);
      if (!this.options.readBack) this.lost += missing;
    }
  }

  /** close()'s longest wait for the server, in seconds. */
  private get closeWaitS(): number {
    return (this.options.closeTimeoutMs ?? 5000) / 1000;
  }

  /** Seqs after the server's lastSeq that were neither acknowledged nor skipped as lost. */
  private unacknowledged(): number {
    let n = 0;
    for (let s = this.serverSeq + 1; s <= this.lastSeq; s++) if (!this.skipped.has(s)) n++;
    return n;
  }

  private settled(): boolean {
    return this.skipped.covers(this.serverSeq + 1, this.lastSeq);
  }

  private stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.release();
  }

  // ---- connection -------------------------------------------------------------

  /**
   * The hello frame: the one place that says who this publisher is (the run,
   * and the token when the server has one).
   */
  private hello(): string {
    const hello: Record<string, string> = { type: 'hello', runId: this.options.runId };
    if (this.options.token !== null) hello['token'] = this.options.token;
    if (this.secret !== null) hello['secret'] = this.secret;
    return JSON.stringify(hello);
  }

  /** The one place a welcome is handled: the server's lastSeq is where sending resumes, lower or not. */
  private onWelcome(msg: { lastSeq: number }): void {
    this.welcomed = true;
    this.reached = true;
    this.attempt = 0;
    this.inFlight = 0;
    this.resyncing = false;
    this.pendingGap = false;
    this.serverSeq = msg.lastSeq;
    this.sentSeq = msg.lastSeq;
    this.spool.acknowledged(msg.lastSeq);
    this.checkSettled();
    this.pump();
  }

  private connect(): void {
    if (this.stopped) return;
    let socket: SocketLike;
    try {
      socket = this.options.connect(publishUrl(this.options.url));
    } catch (err) {
      this.warnOnce('connect', `cannot connect to ${this.options.url}: ${(err as Error).message} (training continues; retrying in the background)`);
      return this.retry();
    }
    this.socket = socket;
    this.connection++;
    socket.onopen = () => socket.send(this.hello());
    socket.onmessage = (ev) => this.socket === socket && this.onMessage(String(ev.data));
    socket.onerror = () => {}; // onclose follows and schedules the retry
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.welcomed = false;
      this.inFlight = 0;
      this.resyncing = false;
      this.retry();
    };
  }

  private retry(): void {
    if (this.stopped) return;
    // Said once, early (the third failed attempt, about a second in), while there is time to start the server: not only at the end.
    if (!this.reached && this.attempt === 2) {
      const keeps = this.options.readBack ? 'the logdir file keeps the run' : `nothing else keeps the run (a page, or logdir: false): what no server has ${this.closeWaitS} s after the run's end is lost`;
      this.warnOnce('unreached', `cannot reach a gradscope server at ${this.options.url} (start one with \`npx gradscope serve\`, or check the url); training continues, retrying in the background, and ${keeps}`);
    }
    // Backoff 250 ms → 5 s with jitter, so a restarted server is not hit by every publisher at once.
    const delay = Math.min(5000, 250 * 2 ** Math.min(this.attempt++, 5)) * (0.75 + Math.random() * 0.5);
    this.retryTimer = setTimeout(() => this.connect(), delay);
    (this.retryTimer as { unref?: () => void }).unref?.();
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    console.warn(`gradscope: ${message}`);
  }

  private onMessage(text: string): void {
    let msg: { type?: string; lastSeq?: number; code?: string; message?: string; secret?: unknown };
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.type === 'welcome' && typeof msg.lastSeq === 'number') {
      if (typeof msg.secret === 'string') this.secret = msg.secret;
      this.onWelcome(msg as { lastSeq: number });
    } else if (msg.type === 'ack' && typeof msg.lastSeq === 'number') {
      this.onAck(msg.lastSeq);
    } else if (msg.type === 'error' && typeof msg.code === 'string') {
      this.onError(msg.code, msg.message ?? '');
    }
  }

  private onAck(lastSeq: number): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (!this.resyncing && lastSeq > this.serverSeq) this.gapStreak = 0;
    this.serverSeq = lastSeq;
    this.spool.acknowledged(lastSeq);
    if (this.resyncing && this.inFlight === 0) this.resync();
    this.checkSettled();
    this.pump();
  }

  private onError(code: string, message: string): void {
    if (code === 'gap') {
      // The server's ack for this frame follows and says where it stands.
      this.resyncing = true;
      this.gapStreak++;
      return;
    }
    if (FINAL_REFUSALS.has(code)) {
      const where = this.options.readBack ? 'the logdir file still records the run' : 'this page keeps no copy: events not yet acknowledged are lost';
      console.warn(`gradscope: the server at ${this.options.url} refused run ${this.options.runId}: ${message} (live streaming stopped; ${where})`);
      this.stop();
      return;
    }
    // Transient: the server closes the socket next; onclose reconnects with backoff.
    this.closedBy[code] = (this.closedBy[code] ?? 0) + 1;
    this.warnOnce(`closed:${code}`, `the server at ${this.options.url} closed the connection of run ${this.options.runId} (${code}: ${message}); reconnecting`);
  }

  /** After a gap refusal: resend from what the server has, backing off when refusals repeat. */
  private resync(): void {
    const delay = this.gapStreak <= 1 ? 0 : Math.min(5000, 100 * 2 ** (this.gapStreak - 2));
    const resume = () => {
      this.gapTimer = null;
      this.resyncing = false;
      this.sentSeq = this.serverSeq;
      this.pendingGap = false;
      this.pump();
    };
    if (delay === 0) return resume();
    this.gapTimer = setTimeout(resume, delay);
    (this.gapTimer as { unref?: () => void }).unref?.();
  }

  private checkSettled(): void {
    if (this.settled()) this.release();
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  // ---- sending ---------------------------------------------------------------

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // One send per burst of events (a measurement emits several at once), never inside the training call.
    setTimeout(() => {
      this.pumpScheduled = false;
      this.pump();
    }, 0);
  }

  private canSend(): boolean {
    return (
      this.welcomed &&
      !this.stopped &&
      !this.reading &&
      !this.resyncing &&
      this.gapTimer === null &&
      this.socket !== null &&
      this.sentSeq < this.lastSeq &&
      this.inFlight < MAX_IN_FLIGHT &&
      this.socket.bufferedAmount <= HIGH_WATER
    );
  }

  private pump(): void {
    while (this.canSend()) {
      const next = this.sentSeq + 1;
      const held = this.spool.from(next, BATCH_EVENTS, BATCH_BYTES);
      if (held.length > 0) {
        this.sendEvents(held);
        continue;
      }
      if (this.options.readBack) return this.readBackFrom(next);
      const resume = this.spool.firstAfterStart ?? this.lastSeq + 1;
      this.skip(next, Math.max(next, resume) - 1, `${resume - next} events (seq ${next}–${resume - 1}) were evicted from the bounded memory spool before ${this.options.url} had them`);
    }
    this.checkSettled();
  }

  /** Sends events as frames the server accepts; an event too large for any frame is skipped. */
  private sendEvents(events: SpooledEvent[]): void {
    for (const piece of planFrames(events, this.maxFrameBytes)) {
      if ('frame' in piece) {
        this.sendFrame(piece.frame);
        continue;
      }
      const e = piece.oversize;
      const where = this.options.readBack ? 'the logdir file keeps it' : 'no other copy exists';
      this.skip(e.seq, e.seq, `event seq ${e.seq} is ${MiB(e.bytes)}, more than the ${MiB(this.maxFrameBytes)} a server frame may hold; it was not sent (${where})`);
    }
  }

  private sendFrame(events: SpooledEvent[]): void {
    this.socket!.send(eventsFrame(events, this.pendingGap));
    this.pendingGap = false;
    this.sentSeq = events[events.length - 1]!.seq;
    this.inFlight++;
  }

  /** Gives up on seqs [from, to]: the next frame declares the gap; each seq is counted lost once. */
  private skip(from: number, to: number, message: string): void {
    this.sentSeq = to;
    this.pendingGap = true;
    const count = this.skipped.add(from, to);
    if (count > 0) {
      this.lost += count;
      this.options.onLost({ count, message });
    }
  }

  /** Events from `next` on are neither in memory nor acknowledged: read them back from the logdir file. */
  private readBackFrom(next: number): void {
    this.reading = true;
    const connection = this.connection;
    const done = (events: SpooledEvent[], failure: string | null) => {
      this.reading = false;
      if (this.stopped || connection !== this.connection || this.sentSeq + 1 !== next) return this.pump();
      let count = 0;
      while (count < events.length && events[count]!.seq === (events[0]!.seq) + count) count++;
      const first = count > 0 ? events[0]!.seq : (this.spool.firstAfterStart ?? this.lastSeq + 1);
      if (first > next) this.skip(next, first - 1, `${first - next} events (seq ${next}–${first - 1}) are neither in memory nor in the logdir file${failure ? ` (${failure})` : ''}`);
      if (count > 0) this.sendEvents(events.slice(0, count));
      this.pump();
    };
    this.options.readBack!(next, 4 * BATCH_EVENTS, 4 * BATCH_BYTES).then(
      (events) => done(events.filter((e) => e.seq >= next), null),
      (err: Error) => done([], `reading it failed: ${err.message}`),
    );
  }
}
