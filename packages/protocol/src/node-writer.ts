/**
 * The logdir writer: appends a run's events to `<logdir>/<runId>/events.jsonl`.
 * Used by the callback's logdir sink and by the server's run store, so both
 * write the same format in the same way.
 *
 * Design:
 * - synchronous I/O: one write of a few kilobytes per flush costs far less
 *   than a training step, and it makes ordering trivial, lets `close()` run
 *   in an exit handler, and lets a server append *before* it acknowledges
 *   (`append` then `flush`);
 * - events are encoded when appended (a snapshot: the producer may reuse its
 *   objects) and buffered; a timer flushes at least every `flushIntervalMs`;
 * - I/O errors never escape `append` or the timer (training must not break
 *   because a disk is full): they go to `onError`, unwritten bytes stay
 *   buffered and are retried, and past `maxBufferedBytes` new events are
 *   dropped and counted in `dropped`. A partial write keeps its exact byte
 *   offset, so a retry never tears a line;
 * - opening repairs a torn last line left by a crashed writer (repairRunLog)
 *   and then appends: reopening a run continues its log;
 * - while open it holds the run's writer lock (writer-lock.ts), so a server
 *   that receives the same run over a websocket does not append it twice.
 */
import { closeSync, fstatSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { encodeEvent } from './encode.js';
import { makeFolder } from './make-folder.js';
import type { GradscopeEvent } from './events.js';
import { repairRunLog, runEventsPath, type RepairResult } from './node-reader.js';
import { releaseWriterLock, takeWriterLock } from './writer-lock.js';

export interface RunLogWriterOptions {
  /** Longest time an appended event waits in memory, in ms. 0 writes on every append. Default 1000. */
  flushIntervalMs?: number;
  /** Bytes buffered while writes fail before new events are dropped (and counted). Default 16 MiB. */
  maxBufferedBytes?: number;
  /** Receives the first I/O error of each series of failed background flushes. Default: console.warn. */
  onError?: (error: Error) => void;
}

const DEFAULTS: Required<Omit<RunLogWriterOptions, 'onError'>> = {
  flushIntervalMs: 1000,
  maxBufferedBytes: 16 * 1024 * 1024,
};

function checkOptions(options: RunLogWriterOptions): void {
  for (const key of Object.keys(options)) {
    if (!['flushIntervalMs', 'maxBufferedBytes', 'onError'].includes(key)) {
      throw new TypeError(`RunLogWriter: unknown option "${key}" (known: flushIntervalMs, maxBufferedBytes, onError)`);
    }
  }
  for (const key of ['flushIntervalMs', 'maxBufferedBytes'] as const) {
    const v = options[key];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
      throw new TypeError(`RunLogWriter: option "${key}" must be a finite number ≥ 0, got ${String(v)}`);
    }
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new TypeError('RunLogWriter: option "onError" must be a function');
  }
}

export class RunLogWriter {
  /** Absolute path of the events.jsonl file. */
  readonly file: string;
  /** What opening did to a torn tail left by a previous writer. */
  readonly repair: RepairResult;
  private fd: number;
  private lines: string[] = [];
  private carry: Buffer | null = null; // bytes of a failed write not yet on disk
  private buffered = 0;
  private droppedCount = 0;
  private failing = false;
  /** The file was found deleted (and said so once). */
  private deletedSaid = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly options: Required<Omit<RunLogWriterOptions, 'onError'>>;
  private readonly onError: (error: Error) => void;

  /**
   * Creates the run folder if needed, repairs a torn tail, opens the file for
   * appending. Throws (synchronously) when the logdir is unusable: a clear
   * error at start beats silent loss later.
   */
  static open(logdir: string, runId: string, options: RunLogWriterOptions = {}): RunLogWriter {
    return new RunLogWriter(runEventsPath(logdir, runId), options);
  }

  private constructor(file: string, options: RunLogWriterOptions) {
    checkOptions(options);
    this.options = { ...DEFAULTS, ...options };
    this.onError = options.onError ?? ((err) => console.warn(`gradscope: cannot write ${this.file}: ${err.message}`));
    this.file = file;
    makeFolder(dirname(file));
    this.repair = repairRunLog(file);
    this.fd = openSync(file, 'a');
    takeWriterLock(file);
    if (this.options.flushIntervalMs > 0) {
      this.timer = setInterval(() => this.flushQuietly(), this.options.flushIntervalMs);
      this.timer.unref(); // a pending flush must not keep a finished script alive
    }
  }

  /** Events dropped because writes kept failing and the buffer was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Bytes appended but not yet written. */
  get pendingBytes(): number {
    return this.buffered;
  }

  get closed(): boolean {
    return this.fd < 0;
  }

  /** Queues one event (encoded now). Never throws for I/O; throws if the writer is closed. */
  append(event: GradscopeEvent): void {
    if (this.closed) throw new Error(`RunLogWriter: append after close (${this.file})`);
    const line = encodeEvent(event) + '\n';
    const bytes = Buffer.byteLength(line);
    if (this.buffered + bytes > this.options.maxBufferedBytes && this.buffered > 0) {
      this.droppedCount++;
      return;
    }
    this.lines.push(line);
    this.buffered += bytes;
    if (this.options.flushIntervalMs === 0) this.flushQuietly();
  }

  /** Writes everything buffered now. Throws the I/O error (the data stays buffered for a retry). */
  flush(): void {
    if (this.closed || this.buffered === 0) return;
    const parts: Buffer[] = this.lines.map((l) => Buffer.from(l));
    if (this.carry) parts.unshift(this.carry);
    const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    this.lines = [];
    this.carry = null;
    let offset = 0;
    try {
      while (offset < data.length) offset += writeSync(this.fd, data, offset, data.length - offset);
    } catch (err) {
      this.carry = data.subarray(offset);
      this.buffered = this.carry.length;
      throw err;
    }
    this.buffered = 0;
    this.failing = false;
    this.noticeDeleted();
  }

  /**
   * A file deleted while it is open (its run folder or the logdir removed
   * by hand) still takes writes, which no one can read: without this, every
   * later event went nowhere without a word. One fstat per flush (once a
   * second); said once, through onError.
   */
  private noticeDeleted(): void {
    if (this.deletedSaid) return;
    let links: number;
    try {
      links = fstatSync(this.fd).nlink;
    } catch {
      return;
    }
    if (links > 0) return;
    this.deletedSaid = true;
    this.onError(new Error('the file was deleted while the run was writing it (its run folder or the logdir removed?); the run\'s later events are not kept'));
  }

  private flushQuietly(): void {
    try {
      this.flush();
    } catch (err) {
      // Report the first failure of a series, not one per second while the disk stays full.
      if (!this.failing) this.onError(err as Error);
      this.failing = true;
    }
  }

  /**
   * Flushes, syncs to disk and closes. Idempotent. Throws if the final flush
   * fails (the file is closed all the same; `pendingBytes` says what was lost).
   */
  close(): void {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const fd = this.fd;
    try {
      this.flush();
      fsyncSync(fd);
    } finally {
      this.fd = -1;
      closeSync(fd);
      releaseWriterLock(this.file);
    }
  }
}
