/**
 * The hub joins publishers, the store and subscribers: it owns the open
 * appenders (one per run being published), the live feeds of the embedded
 * server, and the fan-out to subscribers on a 100 ms tick (coalescing) with
 * the run list re-sent at most twice a second.
 */
import { CLOSE_CODES, encodeEvent, type GradscopeEvent } from '@gradscope/protocol';
import { Appender } from './appender.js';
import { runsFrame } from './frames.js';
import type { ResolvedServerOptions } from './options.js';
import type { Publisher } from './publisher.js';
import type { RunStore, StoredEvent } from './run-store.js';
import type { ServerStats } from './stats.js';
import type { Subscriber } from './subscriber.js';
import type { LocalFeed } from './local-feed.js';

const TICK_MS = 100;
const RUNS_MS = 500;
/** How long an embedded run's recent events are kept after its feed closes (the callback flushes its file on close). */
const FORGET_AFTER_MS = 5_000;


export class Hub {
  readonly subscribers = new Set<Subscriber>();
  private readonly publishers = new Map<string, { publisher: Publisher; appender: Appender }>();
  private runsDirty = false;
  private readonly timers: ReturnType<typeof setInterval>[] = [];

  constructor(
    readonly store: RunStore,
    readonly options: ResolvedServerOptions,
    readonly stats: ServerStats,
  ) {
    store.onEvents = (run, events) => {
      this.broadcast(run.runId, events.map((s) => ({ seq: s.event.seq, line: s.line })));
      this.runsChanged();
    };
    this.timers.push(setInterval(() => this.tick(), TICK_MS), setInterval(() => this.sendRuns(), RUNS_MS));
    for (const t of this.timers) t.unref();
  }

  runsChanged(): void {
    this.runsDirty = true;
  }

  currentRunsFrame(): string {
    return runsFrame(this.store.list().map((r) => r.summary()));
  }

  private sendRuns(): void {
    if (!this.runsDirty) return;
    this.runsDirty = false;
    const frame = this.currentRunsFrame();
    for (const s of this.subscribers) s.runsFrame = frame; // a backed-up subscriber gets only the newest list
  }

  private tick(): void {
    for (const s of this.subscribers) s.flush();
  }

  broadcast(runId: string, lines: { seq: number; line: string }[]): void {
    for (const s of this.subscribers) s.offer(runId, lines);
  }

  /**
   * Makes `publisher` the writer of `runId` (replacing a previous connection
   * of the same run: a reconnect can arrive before the old socket is known
   * dead) and returns the highest seq stored.
   */
  async attachPublisher(runId: string, publisher: Publisher): Promise<number> {
    const previous = this.publishers.get(runId);
    if (previous) {
      this.detachPublisher(runId, previous.publisher);
      previous.publisher.fail('replaced', 'another connection published this run', CLOSE_CODES.replaced);
    }
    const run = this.store.ensure(runId);
    if (run.source === 'disk') await this.store.scan(run); // catch up with what is on disk before appending
    if (this.publishers.has(runId)) throw new Error('another publisher attached meanwhile');
    const appender = new Appender(run.file);
    run.scannedBytes = appender.size; // the repair may have cut a torn tail
    run.source = 'server';
    run.live++;
    this.publishers.set(runId, { publisher, appender });
    this.runsChanged();
    return run.lastSeq;
  }

  detachPublisher(runId: string, publisher: Publisher): void {
    const current = this.publishers.get(runId);
    if (!current || current.publisher !== publisher) return;
    this.publishers.delete(runId);
    current.appender.close();
    const run = this.store.get(runId);
    if (run) {
      run.live = Math.max(0, run.live - 1);
      run.source = 'disk';
    }
    this.runsChanged();
  }

  /** Appends validated, consecutive events of a published run; returns them for the broadcast. Throws on I/O errors. */
  append(runId: string, events: StoredEvent[]): { seq: number; line: string }[] {
    const entry = this.publishers.get(runId);
    const run = this.store.get(runId);
    if (!entry || !run) throw new Error(`run ${runId} has no publisher`);
    const offsets = entry.appender.write(events.map((e) => e.line));
    events.forEach((e, i) => run.add(e.event, offsets[i]!));
    run.scannedBytes = entry.appender.size;
    this.stats.eventsStored += events.length;
    this.runsChanged();
    return events.map((e) => ({ seq: e.event.seq, line: e.line }));
  }

  /**
   * A feed for the embedded server: the callback in this process writes the
   * run's file itself (its logdir sink), so the feed only updates the
   * summary, keeps recent events for replays until they reach the disk, and
   * broadcasts.
   */
  openLocal(runId: string): LocalFeed {
    const run = this.store.ensure(runId);
    run.source = 'local';
    run.live++;
    this.runsChanged();
    let open = true;
    return {
      write: (event) => {
        if (!open || !run.add(event, null)) return;
        const line = encodeEvent(event);
        this.store.remember(runId, event.seq, line);
        this.broadcast(runId, [{ seq: event.seq, line }]);
        this.runsChanged();
      },
      close: () => {
        if (!open) return;
        open = false;
        run.live = Math.max(0, run.live - 1);
        run.source = 'disk';
        run.scannedBytes = 0; // the next refresh indexes the file (events already counted are skipped by seq)
        this.runsChanged();
        setTimeout(() => this.store.forget(runId), FORGET_AFTER_MS).unref();
      },
    };
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    for (const [runId, { publisher }] of this.publishers) this.detachPublisher(runId, publisher);
  }
}
