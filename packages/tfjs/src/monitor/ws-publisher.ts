/**
 * The live sink for `gradscope({ url })`: publishes a run to a gradscope
 * server over a websocket (`ws` in Node, the page's own WebSocket in a
 * browser). It never blocks training: write() only encodes the event into a
 * bounded spool; sending, acknowledgements and reconnection happen on
 * timers and socket callbacks.
 *
 * Protocol (PROTOCOL.md "Publishers"): hello → welcome { lastSeq } → batches
 * of events → ack { lastSeq }. After a reconnect the server's lastSeq says
 * where to resume, so a server killed mid-run and restarted ends up with
 * every event exactly once. Events the memory spool had to evict are read
 * back from the run's logdir file (Node); when they cannot be recovered
 * (a browser, logdir: false) the batch declares the gap and the loss is
 * counted and reported through `onDropped` (a 'dropped-events' alert).
 */
import { encodeEvent, PUBLISH_PATH, type GradscopeEvent } from '@gradscope/protocol';
import { PublishSpool, type SpooledEvent } from './publish-spool.js';
import type { EventSink } from './sinks.js';

/** The part of the WebSocket interface used here; both `ws` and browsers' WebSocket have it. */
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

export interface WsPublisherOptions {
  url: string;
  token: string | null;
  runId: string;
  connect: SocketFactory;
  /** Reads events with seq in [from, to] back from the run's log (the Node spool); null: memory only. */
  readBack: ((from: number, to: number) => Promise<SpooledEvent[]>) | null;
  /** Called (off the training path) with the number of events newly known lost. */
  onDropped: (count: number) => void;
  /** Longest wait in close() for the server to acknowledge everything. Default 5000 ms. */
  closeTimeoutMs?: number;
  spool?: PublishSpool;
}

const BATCH_EVENTS = 500;
const BATCH_BYTES = 1024 * 1024;
const MAX_IN_FLIGHT = 8;
const HIGH_WATER = 2 * 1024 * 1024;
const FATAL = new Set(['bad-token', 'bad-origin', 'invalid-event', 'wrong-run', 'invalid-message', 'not-hello', 'unknown-type', 'invalid-json', 'replaced']);

/** ws://host:port → ws://host:port/ws/publish (a URL that already names a path is kept). */
export function publishUrl(url: string): string {
  const u = new URL(url);
  if (u.pathname === '/' || u.pathname === '') u.pathname = PUBLISH_PATH;
  return u.toString();
}

export class WsPublisher implements EventSink {
  readonly name = 'websocket';
  private readonly spool: PublishSpool;
  private socket: SocketLike | null = null;
  private welcomed = false;
  private lastSeq = -1;
  private sentSeq = -1;
  private ackedSeq = -1;
  private inFlight = 0;
  private attempt = 0;
  private closing = false;
  private stopped = false;
  private recovering = false;
  private pumpScheduled = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private waiters: (() => void)[] = [];
  /** Events that could not be delivered (evicted and not recoverable). */
  lost = 0;
  /** The run's publisher secret from the server's welcome: every later hello carries it, proving this is the run's own publisher. */
  private secret: string | null = null;

  constructor(private readonly options: WsPublisherOptions) {
    this.spool = options.spool ?? new PublishSpool();
    this.connect();
  }

  get acknowledged(): number {
    return this.ackedSeq;
  }

  write(event: GradscopeEvent): void {
    this.spool.push({ seq: event.seq, line: encodeEvent(event) });
    this.lastSeq = event.seq;
    this.schedulePump();
  }

  async flush(): Promise<void> {
    this.pump();
  }

  /** Waits (bounded) until the server has acknowledged every event, then closes the socket. */
  async close(): Promise<void> {
    this.closing = true;
    this.pump();
    if (!this.stopped && this.ackedSeq < this.lastSeq) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.closeTimeoutMs ?? 5000);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.stopped = true;
    this.socket?.close(1000, 'run closed');
    const missing = this.lastSeq - this.ackedSeq;
    if (missing > 0) {
      console.warn(`gradscope: ${missing} events of run ${this.options.runId} were not acknowledged by ${this.options.url} (the logdir file has them)`);
    }
  }

  private connect(): void {
    if (this.stopped) return;
    let socket: SocketLike;
    try {
      socket = this.options.connect(publishUrl(this.options.url));
    } catch (err) {
      this.warnOnce(`cannot connect to ${this.options.url}: ${(err as Error).message}`);
      return this.retry();
    }
    this.socket = socket;
    socket.onopen = () => {
      const hello: Record<string, string> = { type: 'hello', runId: this.options.runId };
      if (this.options.token !== null) hello['token'] = this.options.token;
      if (this.secret !== null) hello['secret'] = this.secret;
      socket.send(JSON.stringify(hello));
    };
    socket.onmessage = (ev) => this.onMessage(String(ev.data));
    socket.onerror = () => {}; // onclose follows and schedules the retry
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.welcomed = false;
      this.inFlight = 0;
      this.retry();
    };
  }

  private retry(): void {
    if (this.stopped) return;
    // Backoff 250 ms → 5 s with jitter, so a restarted server is not hit by every publisher at once.
    const delay = Math.min(5000, 250 * 2 ** Math.min(this.attempt++, 5)) * (0.75 + Math.random() * 0.5);
    this.retryTimer = setTimeout(() => this.connect(), delay);
    (this.retryTimer as { unref?: () => void }).unref?.();
  }

  private warned = false;
  private warnOnce(message: string): void {
    if (this.warned) return;
    this.warned = true;
    console.warn(`gradscope: ${message} (training continues; retrying in the background)`);
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
      this.welcomed = true;
      this.attempt = 0;
      this.acked(msg.lastSeq);
      this.sentSeq = this.ackedSeq;
      this.pump();
    } else if (msg.type === 'ack' && typeof msg.lastSeq === 'number') {
      this.inFlight = Math.max(0, this.inFlight - 1);
      this.acked(msg.lastSeq);
      this.pump();
    } else if (msg.type === 'error') {
      if (msg.code === 'gap') {
        this.sentSeq = this.ackedSeq; // resend from what the server has
      } else if (msg.code && FATAL.has(msg.code)) {
        this.stopped = true;
        console.warn(`gradscope: the server at ${this.options.url} refused run ${this.options.runId}: ${msg.message} (live streaming stopped; the logdir still records the run)`);
        this.release();
      }
    }
  }

  private acked(seq: number): void {
    if (seq > this.ackedSeq) this.ackedSeq = seq;
    this.spool.ack(this.ackedSeq);
    if (this.ackedSeq >= this.lastSeq) this.release();
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // One send per burst of events (a measurement emits several at once), never inside the training call.
    setTimeout(() => {
      this.pumpScheduled = false;
      this.pump();
    }, 0);
  }

  private send(events: SpooledEvent[], gap: boolean): void {
    const body = `{"type":"events",${gap ? '"gap":true,' : ''}"events":[${events.map((e) => e.line).join(',')}]}`;
    this.socket!.send(body);
    this.sentSeq = events[events.length - 1]!.seq;
    this.inFlight++;
  }

  private pump(): void {
    while (this.welcomed && !this.stopped && !this.recovering && this.socket && this.sentSeq < this.lastSeq) {
      if (this.inFlight >= MAX_IN_FLIGHT || this.socket.bufferedAmount > HIGH_WATER) return;
      const next = this.sentSeq + 1;
      const first = this.spool.first;
      if (first !== null && next < first) return void this.recover(next, first - 1);
      const batch = this.spool.after(this.sentSeq, BATCH_EVENTS, BATCH_BYTES);
      if (batch.length === 0) return;
      this.send(batch, false);
    }
  }

  /** Events [from, to] were evicted from memory: read them back from the log, or declare them lost. */
  private recover(from: number, to: number): void {
    const readBack = this.options.readBack;
    const giveUp = () => {
      const count = to - from + 1;
      this.lost += count;
      this.options.onDropped(count);
      const batch = this.spool.after(to, BATCH_EVENTS, BATCH_BYTES);
      if (batch.length > 0 && this.socket) this.send(batch, true);
    };
    if (!readBack) return giveUp();
    this.recovering = true;
    readBack(from, Math.min(to, from + 4 * BATCH_EVENTS))
      .then((events) => {
        this.recovering = false;
        if (!this.socket || !this.welcomed || this.sentSeq + 1 !== from) return this.pump();
        const consecutive = events.filter((e, i) => e.seq === from + i);
        if (consecutive.length === 0) giveUp();
        else for (let i = 0; i < consecutive.length; i += BATCH_EVENTS) this.send(consecutive.slice(i, i + BATCH_EVENTS), false);
        this.pump();
      })
      .catch(() => {
        this.recovering = false;
        giveUp();
        this.pump();
      });
  }
}
