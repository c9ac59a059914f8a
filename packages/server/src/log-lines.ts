/**
 * Reads an events.jsonl file as lines with their byte offsets, from any
 * offset, in bounded memory (one chunk plus one line). Offsets are what the
 * run index stores, so a page in the middle of a long run starts reading
 * near it instead of at the top of the file.
 */
import { open } from 'node:fs/promises';

export interface LogLine {
  /** Byte offset of the line's first byte. */
  offset: number;
  /** Byte offset just past the line's '\n' (or past its last byte for an unterminated tail). */
  end: number;
  text: string;
  /** false for a last line without '\n': a writer may still be writing it, or died mid-line. */
  complete: boolean;
}

const CHUNK = 1 << 20;

/**
 * Lines of `file` starting at byte `start` (which must be a line start), up
 * to byte `end` (default: the end of the file as it is now). A missing file
 * yields nothing.
 */
export async function* readLogLines(file: string, start = 0, end?: number): AsyncGenerator<LogLine> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const stop = end ?? (await handle.stat()).size;
    let pos = start;
    let carry: Buffer | null = null;
    let carryStart = start;
    const buf = Buffer.allocUnsafe(CHUNK);
    while (pos < stop) {
      const { bytesRead } = await handle.read(buf, 0, Math.min(CHUNK, stop - pos), pos);
      if (bytesRead === 0) break;
      let chunk: Buffer = buf.subarray(0, bytesRead);
      const chunkStart = pos;
      pos += bytesRead;
      let from = 0;
      let nl = chunk.indexOf(0x0a);
      while (nl !== -1) {
        const piece = chunk.subarray(from, nl);
        const lineBytes: Buffer = carry ? Buffer.concat([carry, piece]) : piece;
        const offset = carry ? carryStart : chunkStart + from;
        carry = null;
        yield { offset, end: chunkStart + nl + 1, text: lineBytes.toString('utf8'), complete: true };
        from = nl + 1;
        nl = chunk.indexOf(0x0a, from);
      }
      if (from < chunk.length) {
        const rest = Buffer.from(chunk.subarray(from)); // copy: buf is reused
        if (!carry) carryStart = chunkStart + from;
        carry = carry ? Buffer.concat([carry, rest]) : rest;
      }
      chunk = buf; // keep the type checker quiet about reuse
    }
    if (carry && carry.length > 0) yield { offset: carryStart, end: carryStart + carry.length, text: carry.toString('utf8'), complete: false };
  } finally {
    await handle.close();
  }
}
