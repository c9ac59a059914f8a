/**
 * Appends publishers' events to a run's events.jsonl: the file is repaired
 * first (repairRunLog cuts a torn last line a killed writer left), then
 * every batch is written with one synchronous write before the server
 * acknowledges it. Encoding happens once (the same line goes to disk and to
 * subscribers), and the byte offset of every line is known for the index.
 */
import { closeSync, fstatSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeFolder, repairRunLog } from '@gradscope/protocol/node';

export class Appender {
  private fd: number;
  /** File size: the offset of the next line. */
  size: number;

  constructor(readonly file: string) {
    makeFolder(dirname(file));
    repairRunLog(file);
    this.fd = openSync(file, 'a');
    this.size = fstatSync(this.fd).size;
  }

  /**
   * Writes the lines (each without '\n') and returns each one's offset.
   * Throws the I/O error; a partial write then leaves a torn line that the
   * next open repairs, so the run stays readable and nothing is acknowledged.
   */
  write(lines: string[]): number[] {
    const offsets: number[] = [];
    let at = this.size;
    for (const line of lines) {
      offsets.push(at);
      at += Buffer.byteLength(line) + 1;
    }
    const data = Buffer.from(lines.join('\n') + '\n');
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done);
    this.size = at;
    return offsets;
  }

  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    try {
      fsyncSync(fd);
    } catch {
      // fsync can fail on some file systems; the data was written
    }
    closeSync(fd);
  }
}
