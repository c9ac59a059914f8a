/**
 * One dashboard connection (/ws/subscribe), read-only. Per subscribed run it
 * is either replaying (history being read from disk; live events wait in
 * `pending`) or live (events wait in `queue` and go out in one batch per
 * tick). Together with appending to disk before broadcasting, this gives
 * every event exactly once: the replay covers seq ≤ lastSeq, the live
 * batches only seq > what was sent.
 *
 * A slow subscriber never slows anyone else: nothing is sent while its
 * socket's bufferedAmount is above HIGH_WATER (events coalesce in the
 * queue), and when the queue outgrows MAX_QUEUE_BYTES it is dropped and the
 * run is re-replayed from disk after the last seq actually sent (downsampled
 * if long) once the socket drains. Memory per subscriber stays bounded.
 */
import WebSocket from 'ws';
import { parseSubscriberMessage, ProtocolError, type SubscribeMessage } from '@gradscope/protocol';
import { errorFrame, eventsFrame, replayFrame } from './frames.js';
import type { Hub } from './hub.js';
import { RateLimiter } from './rate-limit.js';
import { buildReplay } from './replay.js';

const HIGH_WATER = 1024 * 1024;
const MAX_QUEUE_BYTES = 8 * 1024 * 1024;
/** Bad messages tolerated before the subscriber counts as flooding. */
const MAX_ERRORS = 100;

interface Line {
  seq: number;
  line: string;
}

interface Subscription {
  phase: 'replay' | 'live' | 'resync';
  /** Highest seq handed to ws.send (replayed or live). */
  sentSeq: number;
  queue: Line[];
  queueBytes: number;
  pending: Line[];
  /** Bumped on unsubscribe/resubscribe so a replay still reading knows it is stale. */
  generation: number;
}

export class Subscriber {
  private readonly subs = new Map<string, Subscription>();
  private all = false;
  private allSince: Record<string, number> = {};
  private generation = 0;
  private errors = 0;
  private readonly limiter: RateLimiter;
  runsFrame: string | null = null;

  constructor(
    readonly ws: WebSocket,
    private readonly hub: Hub,
  ) {
    this.limiter = new RateLimiter(hub.options.framesPerSecond, hub.options.framesPerSecond * 2);
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
  }

  private reject(code: Parameters<typeof errorFrame>[0], message: string): void {
    if (++this.errors > MAX_ERRORS) return this.flood();
    this.ws.send(errorFrame(code, message));
  }

  private flood(): void {
    this.hub.stats.floods++;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(errorFrame('flood', 'too many messages; closing'));
    this.ws.close(1008, 'flood');
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (!this.limiter.take()) return this.flood();
    if (isBinary) {
      this.hub.stats.binaryFrames++;
      return this.reject('binary', 'binary frames are not supported; send JSON text');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString('utf8'));
    } catch (err) {
      this.hub.stats.invalidJson++;
      return this.reject('invalid-json', `invalid JSON: ${(err as Error).message}`);
    }
    let msg;
    try {
      msg = parseSubscriberMessage(parsed);
    } catch (err) {
      const unknown = err instanceof ProtocolError && err.path === 'message.type';
      if (unknown) this.hub.stats.unknownTypes++;
      else this.hub.stats.invalidMessages++;
      return this.reject(unknown ? 'unknown-type' : 'invalid-message', (err as Error).message);
    }
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
    for (const id of msg.runs) {
      if (!this.hub.store.get(id)) {
        this.reject('unknown-run', `no run ${id} (yet); subscribe to "*" to receive runs as they start`);
        continue;
      }
      this.drop(id);
      this.start(id, since[id] ?? -1);
    }
  }

  private drop(runId: string): void {
    this.subs.delete(runId);
  }

  /** Starts (or restarts) a run's subscription with a replay after `since`. */
  private start(runId: string, since: number): void {
    const sub: Subscription = { phase: 'replay', sentSeq: since, queue: [], queueBytes: 0, pending: [], generation: ++this.generation };
    this.subs.set(runId, sub);
    void this.replay(runId, sub);
  }

  private async replay(runId: string, sub: Subscription): Promise<void> {
    const run = this.hub.store.get(runId);
    if (!run) return;
    sub.phase = 'replay';
    sub.pending = [];
    const generation = sub.generation;
    this.hub.stats.replays++;
    let replay;
    try {
      replay = await buildReplay(this.hub.store, run, sub.sentSeq, this.hub.options.replayFullBytes);
    } catch (err) {
      this.ws.send(errorFrame('storage', `cannot read run ${runId}: ${(err as Error).message}`));
      return;
    }
    if (this.subs.get(runId) !== sub || sub.generation !== generation || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(replayFrame(runId, replay.lines, replay.downsampled, replay.lastSeq));
    sub.sentSeq = replay.lastSeq;
    sub.phase = 'live';
    for (const p of sub.pending) this.enqueue(sub, p);
    sub.pending = [];
  }

  private enqueue(sub: Subscription, l: Line): void {
    const lastQueued = sub.queue.length > 0 ? sub.queue[sub.queue.length - 1]!.seq : sub.sentSeq;
    if (l.seq <= lastQueued) return; // already replayed or queued: nothing twice
    sub.queue.push(l);
    sub.queueBytes += l.line.length;
    if (sub.queueBytes > MAX_QUEUE_BYTES) {
      // Too slow to keep up: forget the queue, catch up from disk when the socket drains.
      sub.queue = [];
      sub.queueBytes = 0;
      sub.phase = 'resync';
      this.hub.stats.resyncs++;
    }
  }

  /** A live event of a run (called by the hub for every stored event). */
  offer(runId: string, lines: Line[]): void {
    let sub = this.subs.get(runId);
    if (!sub) {
      if (!this.all) return;
      // A run that started after a "*" subscribe: its history is on disk already.
      this.start(runId, this.allSince[runId] ?? -1);
      return;
    }
    if (sub.phase === 'replay') sub.pending.push(...lines);
    else if (sub.phase === 'live') for (const l of lines) this.enqueue(sub, l);
  }

  /** Called every tick: sends what is queued unless the socket is backed up. */
  flush(): void {
    if (this.ws.readyState !== WebSocket.OPEN || this.ws.bufferedAmount > HIGH_WATER) return;
    if (this.runsFrame) {
      this.ws.send(this.runsFrame);
      this.runsFrame = null;
    }
    for (const [runId, sub] of this.subs) {
      if (sub.phase === 'resync') {
        void this.replay(runId, sub);
        continue;
      }
      if (sub.phase !== 'live' || sub.queue.length === 0) continue;
      const batch = sub.queue;
      sub.queue = [];
      sub.queueBytes = 0;
      this.ws.send(eventsFrame(runId, batch.map((l) => l.line)));
      sub.sentSeq = batch[batch.length - 1]!.seq;
      if (this.ws.bufferedAmount > HIGH_WATER) return;
    }
  }
}
