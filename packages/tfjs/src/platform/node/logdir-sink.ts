import type { GradscopeEvent } from '@gradscope/protocol';
import type { RunLogWriter } from '@gradscope/protocol/node';
import type { EventSink } from '../../monitor/sinks.js';

/**
 * Appends every event as one JSON line to `<logdir>/<runId>/events.jsonl`,
 * the format `gradscope serve --logdir` reads, through the protocol's
 * RunLogWriter: flushed at least every second and on close, a torn last line
 * left by a crashed process repaired before appending, failed writes retried
 * from a bounded buffer (what it had to drop is counted and reported).
 *
 * Node only: the writer is imported on open, so a browser bundle never
 * pulls in node:fs.
 */
export class LogdirSink implements EventSink {
  readonly name = 'logdir';

  private constructor(private readonly writer: RunLogWriter) {}

  get file(): string {
    return this.writer.file;
  }

  /** Opens the run's file, or throws at once naming the folder and the cause. */
  static async open(logdir: string, runId: string): Promise<LogdirSink> {
    const { RunLogWriter } = await import('@gradscope/protocol/node');
    const path = await import('node:path');
    try {
      return new LogdirSink(RunLogWriter.open(logdir, runId));
    } catch (err) {
      throw new Error(
        `gradscope: cannot write runs to logdir '${path.resolve(logdir)}': ${(err as Error).message}. Pass another folder as the 'logdir' option, or logdir: false`,
      );
    }
  }

  write(event: GradscopeEvent): void {
    this.writer.append(event);
  }

  async flush(): Promise<void> {
    this.writer.flush();
  }

  async close(): Promise<void> {
    this.writer.close();
    if (this.writer.dropped > 0) {
      console.warn(`gradscope: ${this.writer.dropped} events could not be written to ${this.writer.file} (the disk kept failing)`);
    }
  }
}
