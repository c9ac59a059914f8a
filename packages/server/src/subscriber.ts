/**
 * One dashboard connection (/ws/subscribe), read-only. Per subscribed run it
 * is queued (waiting for its replay), replaying (history being read from
 * disk; live events wait in `pending`) or live (events wait in `queue` and
 * go out in one batch per tick). Together with storing before broadcasting,
 * this gives every event exactly once: the replay covers seq ≤ lastSeq, the
 * live batches only seq > what was sent.
 *
 * Bounded against any client (PROTOCOL.md "Subscribers"):
 * - one replay at a time per subscriber, read only while its socket has
 *   drained below HIGH_WATER; runs wait their turn in an ordered set, so
 *   naming a run twice (in one subscribe or in many) queues it once, and a
 *   new subscribe of the run being replayed cancels that replay;
 * - live events arriving during a replay wait in `pending`, at most
 *   MAX_PENDING_BYTES; beyond it they are dropped and the run is replayed
 *   again from disk after the replay (drop to resync, never grow);
 * - nothing is sent while the socket has more than HIGH_WATER buffered
 *   (events coalesce in `queue`); a queue over MAX_QUEUE_BYTES is dropped
 *   and the run re-replayed from after the last seq actually sent
 *   (downsampled if long);
 * - summaries of changed runs are kept newest-only per run.
 */
import WebSocket from 'ws';
import { CLOSE_CODES, parseSubscriberMessage, type ServerErrorCode, type SubscribeMessage, type SubscriberMessage } from '@gradscope/protocol';
import { parseClientFrame } from './client-frame.js';
import { errorFrame, eventsFrame, replayFrame, runsChangedFrame } from './frames.js';
import type { Hub, SubscriberLink } from './hub.js';
import { RateLimiter } from './rate-limit.js';
import { buildReplay } from './replay.js';

const HIGH_WATER = 1024 * 1024;
const MAX_QUEUE_BYTES = 8 * 1024 * 1024;
const MAX_PENDING_BYTES = 8 * 1024 * 1024;
/** Bad messages tolerated before the subscriber counts as flooding. */
const MAX_ERRORS = 100;

interface Line {
  seq: number;
  line: string;
}

interface Subscription {
  phase: 'queued' | 'replay' | 'live';
  /** Highest seq handed to ws.send (replayed or live). */
  sentSeq: number;
  queue: Line[];
  queueBytes: number;
  pending: Line[];
  pendingBytes: number;
  /** pending overflowed during the replay: the replay is followed by another instead of the pending events. */
  overflowed: boolean;
}

export class Subscriber implements SubscriberLink {
  private readonly subs = new Map<string, Subscription>();
  /** Runs waiting for their replay, in order, each once. */
  private readonly replayQueue = new Set<string>();
  /** The replay being read now (at most one), and whether it was superseded. */
  private current: { runId: string; cancelled: boolean } | null = null;
  private all = false;
  private allSince: Record<string, number> = {};
  private errors = 0;
  private readonly limiter: RateLimiter;
  private readonly changedRuns = new Map<string, string>();

  constructor(
    readonly ws: WebSocket,
    private readonly hub: Hub,
  ) {
    this.limiter = new RateLimiter(hub.options.framesPerSecond, hub.options.framesPerSecond * 2);
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('close', () => {
      if (this.current) this.current.cancelled = true;
      this.subs.clear();
      this.replayQueue.clear();
    });
  }

  private reject(code: ServerErrorCode, message: string): void {
    if (++this.errors > MAX_ERRORS) return this.flood();
    this.ws.send(errorFrame(code, message));
  }

  private flood(): void {
    this.hub.stats.floods++;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(errorFrame('flood', 'too many messages; closing'));
    this.ws.close(CLOSE_CODES.policy, 'flood');
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (!this.limiter.take()) return this.flood();
    const frame = parseClientFrame<SubscriberMessage>(data, isBinary, parseSubscriberMessage, this.hub.stats);
    if (!frame.ok) return this.reject(frame.code, frame.message);
    const msg = frame.message;
    if (msg.type === 'subscribe') this.subscribe(msg);
    else for (const id of msg.runs) this.drop(id);
    if (msg.type === 'unsubscribe' && this.all) this.all = false;
  }

  private subscribe(msg: SubscribeMessage): void {
    const since = msg.since ?? {};
    if (msg.runs === '*') {
      this.all = true;
      this.allSince = since;
      for (const run of this.hub.store.list()) if (!this.subs.has(run.runId)) this.start(run.runId, since[run.runId] ?? -1);
      return;
    }
    for (const id of new Set(msg.runs)) {
      if (!this.hub.store.get(id)) {
        this.reject('unknown-run', `no run ${id} (yet); subscribe to "*" to receive runs as they start`);
        continue;
      }
      this.start(id, since[id] ?? -1);
    }
  }

  private drop(runId: string): void {
    this.subs.delete(runId);
    this.replayQueue.delete(runId);
    if (this.current?.runId === runId) this.current.cancelled = true;
  }

  /** Starts (or restarts) a run's subscription: queued for a replay after `since`; a replay of it still being read is cancelled. */
  private start(runId: string, since: number): void {
    this.drop(runId);
    this.subs.set(runId, { phase: 'queued', sentSeq: since, queue: [], queueBytes: 0, pending: [], pendingBytes: 0, overflowed: false });
    this.replayQueue.add(runId);
    this.pumpReplays();
  }

  /** Queues a run for a replay after what was sent (its live queue or pending events were dropped). */
  private resync(runId: string, sub: Subscription): void {
    sub.phase = 'queued';
    sub.queue = [];
    sub.queueBytes = 0;
    sub.pending = [];
    sub.pendingBytes = 0;
    this.replayQueue.add(runId);
    this.hub.stats.resyncs++;
  }

  /** Starts the next queued replay, unless one is being read or the socket is backed up. */
  private pumpReplays(): void {
    while (this.current === null && this.replayQueue.size > 0) {
      if (this.ws.readyState !== WebSocket.OPEN || this.ws.bufferedAmount > HIGH_WATER) return;
      const runId = this.replayQueue.values().next().value!;
      this.replayQueue.delete(runId);
      const sub = this.subs.get(runId);
      if (sub?.phase === 'queued') void this.replay(runId, sub);
    }
  }

  private async replay(runId: string, sub: Subscription): Promise<void> {
    const run = this.hub.store.get(runId);
    if (!run) return;
    const job = { runId, cancelled: false };
    this.current = job;
    sub.phase = 'replay';
    sub.pending = [];
    sub.pendingBytes = 0;
    sub.overflowed = false;
    this.hub.stats.replays++;
    try {
      const replay = await buildReplay(this.hub.store, run, sub.sentSeq, this.hub.options.replayFullBytes, () => job.cancelled);
      if (replay === null || job.cancelled || this.subs.get(runId) !== sub || this.ws.readyState !== WebSocket.OPEN) return;
      this.ws.send(replayFrame(runId, replay.lines, replay.downsampled, replay.lastSeq));
      sub.sentSeq = replay.lastSeq;
      if (sub.overflowed) return this.resync(runId, sub);
      sub.phase = 'live';
      sub.queue = [];
      sub.queueBytes = 0;
      for (const p of sub.pending) this.enqueue(runId, sub, p);
      sub.pending = [];
      sub.pendingBytes = 0;
    } catch (err) {
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(errorFrame('storage', `cannot read run ${runId}: ${(err as Error).message}`));
    } finally {
      if (this.current === job) this.current = null;
      this.pumpReplays();
    }
  }

  private enqueue(runId: string, sub: Subscription, l: Line): void {
    if (sub.phase !== 'live') return; // a resync was queued (by an earlier line of this batch): its replay reads these from the store
    const lastQueued = sub.queue.length > 0 ? sub.queue[sub.queue.length - 1]!.seq : sub.sentSeq;
    if (l.seq <= lastQueued) return; // already replayed or queued: nothing twice
    sub.queue.push(l);
    sub.queueBytes += l.line.length;
    // Too slow to keep up: forget the queue, catch up from disk when the socket drains.
    if (sub.queueBytes > MAX_QUEUE_BYTES) this.resync(runId, sub);
  }

  /** Live events of a run (called by the hub for every stored batch). */
  offer(runId: string, lines: Line[]): void {
    const sub = this.subs.get(runId);
    if (!sub) {
      // A run that started after a "*" subscribe: its history is on disk already.
      if (this.all) this.start(runId, this.allSince[runId] ?? -1);
      return;
    }
    if (sub.phase === 'live') {
      for (const l of lines) this.enqueue(runId, sub, l);
    } else if (sub.phase === 'replay' && !sub.overflowed) {
      for (const l of lines) sub.pendingBytes += l.line.length;
      sub.pending.push(...lines);
      if (sub.pendingBytes > MAX_PENDING_BYTES) {
        sub.pending = [];
        sub.pendingBytes = 0;
        sub.overflowed = true;
      }
    }
    // 'queued': its replay, when it runs, reads these from the store.
  }

  runsChanged(summaries: ReadonlyMap<string, string>): void {
    for (const [id, json] of summaries) this.changedRuns.set(id, json);
  }

  /** Called every tick: sends what is queued unless the socket is backed up, then the next replay. */
  flush(): void {
    if (this.ws.readyState !== WebSocket.OPEN || this.ws.bufferedAmount > HIGH_WATER) return;
    if (this.changedRuns.size > 0) {
      this.ws.send(runsChangedFrame([...this.changedRuns.values()]));
      this.changedRuns.clear();
    }
    for (const [runId, sub] of this.subs) {
      if (sub.phase !== 'live' || sub.queue.length === 0) continue;
      const batch = sub.queue;
      sub.queue = [];
      sub.queueBytes = 0;
      this.ws.send(eventsFrame(runId, batch.map((l) => l.line)));
      sub.sentSeq = batch[batch.length - 1]!.seq;
      if (this.ws.bufferedAmount > HIGH_WATER) return;
    }
    this.pumpReplays();
  }
}
