/**
 * The run store is the logdir: `<logdir>/<runId>/events.jsonl`, the same
 * append-only JSONL the callback writes offline. In memory: one RunState
 * (summary + sparse offset index) per run. History is read from disk on
 * demand (readEvents), so `gradscope serve --logdir runs` shows runs
 * recorded without any server, and memory does not grow with run length.
 *
 * Runs written by other processes into the logdir while the server runs
 * (offline callbacks, the callback beside an embedded server) are picked up
 * by refresh(), which scans only the bytes added since the last scan.
 */
import { readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeEvent, EVENTS_FILE, isValidRunId, type GradscopeEvent } from '@gradscope/protocol';
import { makeFolder, runEventsPath } from '@gradscope/protocol/node';
import { readLogLines } from './log-lines.js';
import { RunState } from './run-state.js';

/** One stored event: the decoded event and its encoded line (what goes on the wire). */
export interface StoredEvent {
  event: GradscopeEvent;
  line: string;
}

/** New events found on disk by a scan, in seq order. */
export type EventsListener = (run: RunState, events: StoredEvent[]) => void;

/** Bytes of recent events kept per embedded run, for the ones the callback has not flushed to disk yet. */
const RECENT_BYTES = 16 * 1024 * 1024;

export class RunStore {
  readonly logdir: string;
  private readonly runs = new Map<string, RunState>();
  private readonly scanning = new Map<string, Promise<void>>();
  /** Recent encoded events of embedded ('local') runs: the callback's file lags up to a second behind. */
  private readonly recent = new Map<string, { seq: number; line: string }[]>();
  private readonly recentBytes = new Map<string, number>();
  onEvents: EventsListener = () => {};

  private constructor(logdir: string) {
    this.logdir = resolve(logdir);
  }

  /**
   * Opens (creating) the logdir and scans every run in it. Throws a clear
   * error at start when the folder cannot be created or written: a server
   * that would only fail at its first event is worse than one that refuses.
   */
  static async open(logdir: string): Promise<RunStore> {
    const store = new RunStore(logdir);
    const probe = join(store.logdir, `.gradscope-write-test-${process.pid}`);
    try {
      makeFolder(store.logdir);
      writeFileSync(probe, 'ok\n');
      unlinkSync(probe);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new Error(`gradscope server: cannot write to logdir '${store.logdir}' (${e.message}). Choose a writable folder with --logdir`);
    }
    await store.refresh();
    return store;
  }

  get(runId: string): RunState | undefined {
    return this.runs.get(runId);
  }

  /** Every run, newest first. */
  list(): RunState[] {
    return [...this.runs.values()].sort((a, b) => b.startTime - a.startTime || (a.runId < b.runId ? 1 : -1));
  }

  /** The run, created (in memory) if new. The id must already be valid. */
  ensure(runId: string): RunState {
    let run = this.runs.get(runId);
    if (!run) {
      run = new RunState(runId, runEventsPath(this.logdir, runId));
      this.runs.set(runId, run);
    }
    return run;
  }

  /** Finds runs added to the logdir and scans what was appended to runs written by others. */
  async refresh(): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(this.logdir);
    } catch {
      return; // the folder vanished: keep what we know
    }
    for (const name of names) {
      if (!isValidRunId(name) || this.runs.has(name)) continue;
      try {
        if (!statSync(join(this.logdir, name, EVENTS_FILE)).isFile()) continue;
      } catch {
        continue;
      }
      this.ensure(name);
    }
    for (const run of this.runs.values()) {
      if (run.source !== 'disk') continue;
      let size = 0;
      try {
        size = statSync(run.file).size;
      } catch {
        continue;
      }
      if (size > run.scannedBytes) await this.scan(run);
    }
  }

  /** Scans a run's file from where the last scan stopped; one scan per run at a time. */
  scan(run: RunState): Promise<void> {
    const running = this.scanning.get(run.runId);
    if (running) return running;
    const job = (async () => {
      const found: StoredEvent[] = [];
      for await (const l of readLogLines(run.file, run.scannedBytes)) {
        const text = l.text.endsWith('\r') ? l.text.slice(0, -1) : l.text;
        let event: GradscopeEvent | null = null;
        try {
          if (text.trim().length > 0) event = decodeEvent(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
        } catch {
          event = null; // a bad line costs one event (PROTOCOL.md "Log files")
        }
        // An unterminated tail may still be being written: count it only if it decodes, and scan it again next time.
        if (l.complete) run.scannedBytes = l.end;
        if (event && event.runId === run.runId) {
          if (run.add(event, l.offset)) found.push({ event, line: text });
          else run.note(event.seq, l.offset);
        }
        if (found.length >= 1000) this.onEvents(run, found.splice(0));
      }
      if (found.length > 0) this.onEvents(run, found);
    })().finally(() => this.scanning.delete(run.runId));
    this.scanning.set(run.runId, job);
    return job;
  }

  /** Remembers a recent event of an embedded run (see `recent`). */
  remember(runId: string, seq: number, line: string): void {
    let list = this.recent.get(runId);
    if (!list) this.recent.set(runId, (list = []));
    list.push({ seq, line });
    let bytes = (this.recentBytes.get(runId) ?? 0) + line.length;
    while (bytes > RECENT_BYTES && list.length > 1) bytes -= list.shift()!.line.length;
    this.recentBytes.set(runId, bytes);
  }

  forget(runId: string): void {
    this.recent.delete(runId);
    this.recentBytes.delete(runId);
  }

  /**
   * Every stored event of a run with seq > since, in seq order, each once,
   * read from disk (plus, for an embedded run, the recent events its
   * callback has not flushed yet). Bounded memory: one chunk at a time.
   */
  async *readEvents(run: RunState, since: number): AsyncGenerator<StoredEvent> {
    let last = since;
    // For a run this server writes, stop at the bytes it has flushed: a line being appended is not read half-written.
    const end = run.source === 'server' ? run.scannedBytes : undefined;
    for await (const l of readLogLines(run.file, run.offsetAfter(since), end)) {
      let text = l.text.endsWith('\r') ? l.text.slice(0, -1) : l.text;
      if (l.offset === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.trim().length === 0) continue;
      let event: GradscopeEvent;
      try {
        event = decodeEvent(text);
      } catch {
        continue;
      }
      if (event.seq <= last || event.runId !== run.runId) continue;
      last = event.seq;
      yield { event, line: text };
    }
    for (const r of this.recent.get(run.runId) ?? []) {
      if (r.seq <= last) continue;
      last = r.seq;
      yield { event: decodeEvent(r.line), line: r.line };
    }
  }
}
