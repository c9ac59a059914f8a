/**
 * Node-only access to run logs: paths that cannot leave the logdir, a
 * streaming reader, and the repair of a torn last line before appending.
 * Exported from `@gradscope/protocol/node` so that browser bundles of the main
 * entry never see `node:fs`.
 */
import { closeSync, createReadStream, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { ProtocolError } from './errors.js';
import { EVENTS_FILE, EventLineDecoder, ParsedEventsBuilder, type DecodedLine, type ParsedEvents } from './jsonl.js';
import { checkEvent } from './validate.js';
import { assertValidRunId } from './run-id.js';

/** Folder of a run: `<logdir>/<runId>`, absolute. Throws ProtocolError for an invalid run id. */
export function runDir(logdir: string, runId: string): string {
  assertValidRunId(runId);
  const root = resolve(logdir);
  const dir = join(root, runId);
  // A valid id is one plain segment, so this cannot fail; it stays as the last line of defence.
  const rel = relative(root, dir);
  if (rel !== runId || isAbsolute(rel)) throw new ProtocolError('runId', `"${runId}" does not resolve inside ${root}`);
  return dir;
}

/** `<logdir>/<runId>/events.jsonl`, absolute. Throws ProtocolError for an invalid run id. */
export function runEventsPath(logdir: string, runId: string): string {
  return join(runDir(logdir, runId), EVENTS_FILE);
}

/**
 * Streams an events.jsonl file, yielding each non-blank line decoded (an event
 * or an error), in file order; returns whether a torn last line was dropped.
 * Memory stays bounded by one chunk plus one line, whatever the file's size.
 */
export async function* iterateRunEvents(file: string): AsyncGenerator<DecodedLine, { truncatedTail: boolean }, void> {
  const decoder = new EventLineDecoder();
  // setEncoding makes the stream decode UTF-8 across chunk boundaries.
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  for await (const chunk of stream) yield* decoder.push(chunk as string);
  const tail = decoder.end();
  if (tail.line) yield tail.line;
  return { truncatedTail: tail.truncated };
}

/** Reads a whole events.jsonl file with the rules of parseEventLines. Rejects if the file cannot be read. */
export async function readRunEvents(file: string): Promise<ParsedEvents> {
  const builder = new ParsedEventsBuilder();
  const it = iterateRunEvents(file);
  for (;;) {
    const next = await it.next();
    if (next.done) {
      builder.result.truncatedTail = next.value.truncatedTail;
      return builder.result;
    }
    builder.add([next.value]);
  }
}

export type RepairAction = 'none' | 'newline-added' | 'tail-removed';

export interface RepairResult {
  action: RepairAction;
  /** Bytes removed (tail-removed) or 0. */
  removedBytes: number;
}

const TAIL_CHUNK = 64 * 1024;

/**
 * Makes an events.jsonl file safe to append to: if it does not end with '\n',
 * its last line is either a complete event missing its newline (the newline is
 * added) or a torn write (the partial line is cut off). A missing file is left
 * alone. Synchronous: it runs once, before the first append.
 */
export function repairRunLog(file: string): RepairResult {
  let fd: number;
  try {
    fd = openSync(file, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { action: 'none', removedBytes: 0 };
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return { action: 'none', removedBytes: 0 };
    const lastByte = Buffer.alloc(1);
    readSync(fd, lastByte, 0, 1, size - 1);
    if (lastByte[0] === 0x0a) return { action: 'none', removedBytes: 0 };
    // Walk back chunk by chunk to the last '\n'; the bytes after it are the tail.
    let lineStart = 0;
    const tailParts: Buffer[] = [];
    for (let end = size; end > 0; ) {
      const start = Math.max(0, end - TAIL_CHUNK);
      const buf = Buffer.alloc(end - start);
      readSync(fd, buf, 0, buf.length, start);
      const nl = buf.lastIndexOf(0x0a);
      if (nl !== -1) {
        lineStart = start + nl + 1;
        tailParts.unshift(buf.subarray(nl + 1));
        break;
      }
      tailParts.unshift(buf);
      end = start;
    }
    const tail = Buffer.concat(tailParts).toString('utf8');
    let complete = false;
    try {
      complete = checkEvent(JSON.parse(tail.endsWith('\r') ? tail.slice(0, -1) : tail)).ok;
    } catch {
      complete = false; // not even JSON: torn
    }
    if (complete) {
      writeSync(fd, '\n', size);
      return { action: 'newline-added', removedBytes: 0 };
    }
    ftruncateSync(fd, lineStart);
    return { action: 'tail-removed', removedBytes: size - lineStart };
  } finally {
    closeSync(fd);
  }
}
