import { encodeEvent, type GradscopeEvent } from '@gradscope/protocol';
import type { EventSink } from './sinks.js';

/** Flush period: at most this much is lost if the process dies. */
export const FLUSH_INTERVAL_MS = 1000;

type Fs = typeof import('node:fs');
type Path = typeof import('node:path');

/**
 * Appends every event, encoded as one JSON line, to
 * `<logdir>/<runId>/events.jsonl` — the format `gradscope serve --logdir`
 * reads. Lines are buffered and written at least every second and on close.
 * A failed write (disk full) keeps the lines for the next attempt and warns
 * once; nothing recorded is dropped while the process lives.
 */
export class LogdirSink implements EventSink {
  readonly name = 'logdir';
  readonly file: string;
  private pending: string[] = [];
  private fd: number | null;
  private timer: ReturnType<typeof setInterval> | null;
  private warned = false;

  private constructor(
    private readonly fs: Fs,
    file: string,
    fd: number,
  ) {
    this.file = file;
    this.fd = fd;
    this.timer = setInterval(() => this.writePending(), FLUSH_INTERVAL_MS);
    // The timer must not keep a finished training script alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  /**
   * Creates the run folder and opens the file. Throws at once, naming the
   * folder and the cause, when the logdir cannot be written.
   */
  static async open(logdir: string, runId: string): Promise<LogdirSink> {
    const fs: Fs = await import('node:fs');
    const path: Path = await import('node:path');
    const dir = path.join(logdir, runId);
    try {
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, 'events.jsonl');
      const fd = fs.openSync(file, 'a');
      return new LogdirSink(fs, file, fd);
    } catch (err) {
      throw new Error(`gradscope: cannot write runs to logdir '${path.resolve(logdir)}': ${(err as Error).message}. Pass another folder as the 'logdir' option, or logdir: false`);
    }
  }

  write(event: GradscopeEvent): void {
    this.pending.push(encodeEvent(event) + '\n');
  }

  private writePending(): void {
    if (this.fd === null || this.pending.length === 0) return;
    const text = this.pending.join('');
    try {
      this.fs.writeSync(this.fd, text);
      this.pending = [];
    } catch (err) {
      this.pending = [text];
      if (!this.warned) {
        this.warned = true;
        console.warn(`gradscope: writing ${this.file} failed (${(err as Error).message}); keeping events in memory and retrying every second`);
      }
    }
  }

  async flush(): Promise<void> {
    this.writePending();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.writePending();
    if (this.fd !== null) {
      try {
        this.fs.fsyncSync(this.fd);
      } catch {
        // fsync is a best effort (not every file system supports it).
      }
      this.fs.closeSync(this.fd);
      this.fd = null;
    }
  }
}
