/**
 * The hub joins publishers, the store and subscribers: it owns the run
 * writers (one per run being published), the live feeds of the embedded
 * server, and the fan-out to subscribers on a 100 ms tick (coalescing), with
 * the summaries of changed runs sent at most twice a second.
 *
 * The hub calls publishers and subscribers only through the small
 * interfaces below, so it never depends on their classes.
 */
import { dirname } from 'node:path';
import { CLOSE_CODES, encodeEvent, type GradscopeEvent, type ServerErrorCode } from '@gradscope/protocol';
import { liveWriter, makeFolder } from '@gradscope/protocol/node';
import { Appender } from './appender.js';
import type { ResolvedServerOptions } from './options.js';
import type { RunStore, StoredEvent } from './run-store.js';
import { issueRunSecret, readRunSecret } from './run-secret.js';
import { tokenMatches } from './security.js';
import type { ServerStats } from './stats.js';
import type { LocalFeed } from './local-feed.js';

const TICK_MS = 100;
const RUNS_MS = 500;
/** How long a run's recent events are kept after its feed closes (its other writer flushes its file within a second). */
const FORGET_AFTER_MS = 5_000;

/** What the hub needs of a publisher connection. */
export interface PublisherLink {
  /** Sends an error frame and closes the connection with `closeCode`. */
  fail(code: ServerErrorCode, message: string, closeCode: number): void;
}

/** What the hub needs of a subscriber connection. */
export interface SubscriberLink {
  /** Live events of a run, just stored. */
  offer(runId: string, lines: { seq: number; line: string }[]): void;
  /** Runs whose summary changed: runId → encoded RunSummary. */
  runsChanged(summaries: ReadonlyMap<string, string>): void;
  /** Sends what is queued (called every tick). */
  flush(): void;
}

/** A hello the hub will not accept, with the error code and close code to answer it with. */
export class HelloRefused extends Error {
  constructor(
    readonly code: ServerErrorCode,
    message: string,
    readonly closeCode: number,
  ) {
    super(message);
  }
}

interface Attached {
  publisher: PublisherLink;
  /** null: another process (the callback's logdir writer) writes the file; the hub keeps the events in memory until it has. */
  writer: Appender | null;
}

export class Hub {
  private readonly subscribers = new Set<SubscriberLink>();
  private readonly publishers = new Map<string, Attached>();
  /** Hellos being handled, per run: handled one after the other so two at once get consistent answers. */
  private readonly hellos = new Map<string, Promise<unknown>>();
  private readonly changed = new Set<string>();
  /** Runs whose last append failed: the log line is written once per series of failures. */
  private readonly failing = new Set<string>();
  private readonly timers: ReturnType<typeof setInterval>[] = [];

  constructor(
    readonly store: RunStore,
    readonly options: ResolvedServerOptions,
    readonly stats: ServerStats,
  ) {
    store.onEvents = (run, events) => {
      this.broadcast(run.runId, events.map((s) => ({ seq: s.event.seq, line: s.line })));
      this.runsChanged(run.runId);
    };
    this.timers.push(setInterval(() => this.tick(), TICK_MS), setInterval(() => this.sendRuns(), RUNS_MS));
    for (const t of this.timers) t.unref();
  }

  addSubscriber(s: SubscriberLink): void {
    this.subscribers.add(s);
  }

  removeSubscriber(s: SubscriberLink): void {
    this.subscribers.delete(s);
  }

  runsChanged(runId: string): void {
    this.changed.add(runId);
  }

  private sendRuns(): void {
    if (this.changed.size === 0) return;
    const summaries = new Map<string, string>();
    for (const id of this.changed) {
      const run = this.store.get(id);
      if (run) summaries.set(id, JSON.stringify(run.summary()));
    }
    this.changed.clear();
    for (const s of this.subscribers) s.runsChanged(summaries);
  }

  private tick(): void {
    for (const s of this.subscribers) s.flush();
  }

  broadcast(runId: string, lines: { seq: number; line: string }[]): void {
    for (const s of this.subscribers) s.offer(runId, lines);
  }

  /** Whether `publisher` is the run's current publisher (a replaced connection is not). */
  isCurrent(runId: string, publisher: PublisherLink): boolean {
    return this.publishers.get(runId)?.publisher === publisher;
  }

  /**
   * Makes `publisher` the writer of `runId` and returns the highest seq
   * stored and the run's publisher secret. Hellos of one run are handled in
   * turn. A run that has a secret (it was published before) accepts only a
   * hello carrying it; with it, the hello replaces the run's previous
   * connection (a reconnect can arrive before the old socket is known
   * dead). Throws HelloRefused.
   */
  attachPublisher(runId: string, publisher: PublisherLink, secret: string | undefined): Promise<{ lastSeq: number; secret: string }> {
    const before = this.hellos.get(runId) ?? Promise.resolve();
    const job = before.catch(() => {}).then(() => this.attachNow(runId, publisher, secret));
    this.hellos.set(runId, job);
    void job.catch(() => {}).finally(() => this.hellos.get(runId) === job && this.hellos.delete(runId));
    return job;
  }

  private async attachNow(runId: string, publisher: PublisherLink, given: string | undefined): Promise<{ lastSeq: number; secret: string }> {
    const run = this.store.ensure(runId);
    if (run.source === 'disk') await this.store.scan(run); // catch up with what is on disk before appending
    if (run.source === 'local') {
      throw new HelloRefused('run-exists', `run ${runId} is being written by this server's own process (embedded server); choose another runId`, CLOSE_CODES.runExists);
    }
    let stored = readRunSecret(run.file);
    // A run with no event stored and no publisher was never published: its welcome (and secret) may have been lost with the
    // connection that asked for it, and a publisher sends events only after its welcome. Anyone may claim it, with a new secret.
    if (stored !== null && run.lastSeq === -1 && !this.publishers.has(runId)) stored = null;
    if (stored !== null && !tokenMatches(stored, given)) {
      const live = this.publishers.has(runId);
      throw new HelloRefused(
        'not-publisher',
        `run ${runId} ${live ? 'has a live publisher' : 'was published before'}; only its publisher (hello with the secret from its welcome) may continue it. A new training run needs a new runId`,
        CLOSE_CODES.notPublisher,
      );
    }
    const previous = this.publishers.get(runId);
    if (previous) {
      this.detachPublisher(runId, previous.publisher);
      previous.publisher.fail('replaced', 'this run reconnected on another connection', CLOSE_CODES.replaced);
    }
    let secret: string;
    let writer: Appender | null = null;
    try {
      makeFolder(dirname(run.file));
      secret = stored ?? issueRunSecret(run.file);
      // The callback's logdir writer may hold this very file (server and callback started in one folder): then it writes, not us.
      if (liveWriter(run.file) === null) writer = new Appender(run.file);
    } catch (err) {
      this.stats.storageErrors++;
      this.options.log(`gradscope server: cannot store run ${runId}: ${(err as Error).message}`);
      throw new HelloRefused('storage', `cannot store run ${runId}: ${(err as Error).message}`, CLOSE_CODES.internal);
    }
    if (writer) {
      run.scannedBytes = writer.size; // the repair may have cut a torn tail
      run.source = 'server';
    } else {
      run.source = 'shared';
      this.stats.sharedRuns++;
    }
    run.live++;
    this.publishers.set(runId, { publisher, writer });
    this.runsChanged(runId);
    return { lastSeq: run.lastSeq, secret };
  }

  detachPublisher(runId: string, publisher: PublisherLink): void {
    const current = this.publishers.get(runId);
    if (!current || current.publisher !== publisher) return;
    this.publishers.delete(runId);
    current.writer?.close();
    const run = this.store.get(runId);
    if (run) {
      run.live = Math.max(0, run.live - 1);
      run.source = 'disk'; // a shared run's rest is scanned from its file from here on
      // Unless the run is shared again by then (its publisher reconnected), the callback's file has these events within a second.
      if (!current.writer) setTimeout(() => run.source !== 'shared' && this.store.forget(runId), FORGET_AFTER_MS).unref();
    }
    this.runsChanged(runId);
  }

  /**
   * Stores validated, consecutive events of `publisher`'s run and returns
   * them for the broadcast: appended to the file, or — when the callback's
   * writer owns the file — kept in memory until its writer has flushed them.
   * Throws on I/O errors (logged once per series).
   */
  append(runId: string, publisher: PublisherLink, events: StoredEvent[]): { seq: number; line: string }[] {
    const entry = this.publishers.get(runId);
    const run = this.store.get(runId);
    if (!entry || entry.publisher !== publisher || !run) throw new Error(`this connection no longer publishes run ${runId}`);
    if (entry.writer) {
      let offsets: number[];
      try {
        offsets = entry.writer.write(events.map((e) => e.line));
      } catch (err) {
        this.stats.storageErrors++;
        if (!this.failing.has(runId)) this.options.log(`gradscope server: cannot append to run ${runId}: ${(err as Error).message} (its publisher keeps the events and retries)`);
        this.failing.add(runId);
        throw err;
      }
      this.failing.delete(runId);
      events.forEach((e, i) => run.add(e.event, offsets[i]!));
      run.scannedBytes = entry.writer.size;
    } else {
      for (const e of events) {
        run.add(e.event, null);
        this.store.remember(runId, e.event.seq, e.line);
      }
    }
    this.stats.eventsStored += events.length;
    this.runsChanged(runId);
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
    this.runsChanged(runId);
    let open = true;
    return {
      write: (event) => {
        if (!open || !run.add(event, null)) return;
        const line = encodeEvent(event);
        this.store.remember(runId, event.seq, line);
        this.broadcast(runId, [{ seq: event.seq, line }]);
        this.runsChanged(runId);
      },
      close: () => {
        if (!open) return;
        open = false;
        run.live = Math.max(0, run.live - 1);
        run.source = 'disk';
        run.scannedBytes = 0; // the next refresh indexes the file (events already counted are skipped by seq)
        this.runsChanged(runId);
        setTimeout(() => this.store.forget(runId), FORGET_AFTER_MS).unref();
      },
    };
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    for (const [runId, { publisher }] of this.publishers) this.detachPublisher(runId, publisher);
  }
}
