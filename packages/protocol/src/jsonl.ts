/**
 * The run log: `<logdir>/<runId>/events.jsonl`, one encoded event per line,
 * each line ended by '\n', append-only. Reading rules (PROTOCOL.md "Log
 * files"):
 * - a line that is not a valid event is reported (1-based line number and the
 *   validator's message) and skipped: one bad line costs one event, not a run;
 * - blank lines are skipped silently; a '\r' before '\n' is ignored;
 * - the last line without its '\n' is what a writer killed mid-write leaves:
 *   if it decodes, it is kept; if not, it is dropped *without* an error and
 *   `truncatedTail` is set. An appender must cut such a tail off (or add the
 *   missing '\n') before writing, else it glues its first line onto it —
 *   `repairRunLog` in `@gradscope/protocol/node` does that.
 *
 * Pure and browser-safe; the Node reader streams files through EventLineDecoder.
 */
import type { GradscopeEvent } from './events.js';
import { decodeEvent } from './encode.js';
import { ProtocolError } from './errors.js';

export const EVENTS_FILE = 'events.jsonl';

export interface LineError {
  /** 1-based line number in the file. */
  line: number;
  message: string;
}

export interface ParsedEvents {
  events: GradscopeEvent[];
  errors: LineError[];
  /** The last line had no '\n' and did not decode: a writer died mid-line, and the line was dropped. */
  truncatedTail: boolean;
}

/** One decoded line: an event or the error that line produced. */
export type DecodedLine = { line: number; event: GradscopeEvent; error?: undefined } | { line: number; event?: undefined; error: string };

function decodeLine(text: string, line: number): DecodedLine | null {
  const body = text.endsWith('\r') ? text.slice(0, -1) : text;
  if (body.trim().length === 0) return null;
  try {
    return { line, event: decodeEvent(body) };
  } catch (err) {
    if (err instanceof ProtocolError) return { line, error: err.message };
    throw err;
  }
}

/**
 * Incremental line decoder: push text chunks in file order, then call end().
 * Chunks may split lines (and must be whole UTF-16 strings: decode bytes with
 * a streaming TextDecoder or a Node stream's setEncoding first).
 */
export class EventLineDecoder {
  private partial = '';
  private lineNumber = 0;
  private started = false;

  /** Every complete line in `chunk` (plus what was carried over), decoded. Blank lines are omitted. */
  push(chunk: string): DecodedLine[] {
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1); // a BOM from an editor
    }
    const out: DecodedLine[] = [];
    let start = 0;
    let nl = chunk.indexOf('\n');
    if (nl === -1) {
      this.partial += chunk;
      return out;
    }
    let text = this.partial + chunk.slice(0, nl);
    for (;;) {
      const decoded = decodeLine(text, ++this.lineNumber);
      if (decoded) out.push(decoded);
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
      if (nl === -1) break;
      text = chunk.slice(start, nl);
    }
    this.partial = chunk.slice(start);
    return out;
  }

  /**
   * The unterminated last line, if any: `line` is set when it decoded (keep
   * it), `truncated` when it did not (a torn write, dropped without error).
   */
  end(): { line: DecodedLine | null; truncated: boolean } {
    const text = this.partial;
    this.partial = '';
    if (text.trim().length === 0) return { line: null, truncated: false };
    const decoded = decodeLine(text, ++this.lineNumber);
    if (decoded?.event) return { line: decoded, truncated: false };
    return { line: null, truncated: true };
  }
}

/** Collects decoded lines into a ParsedEvents (shared by the pure and the Node reader). */
export class ParsedEventsBuilder {
  readonly result: ParsedEvents = { events: [], errors: [], truncatedTail: false };

  add(lines: DecodedLine[]): void {
    for (const l of lines) {
      if (l.event) this.result.events.push(l.event);
      else this.result.errors.push({ line: l.line, message: l.error });
    }
  }

  end(decoder: EventLineDecoder): ParsedEvents {
    const tail = decoder.end();
    if (tail.line) this.add([tail.line]);
    this.result.truncatedTail = tail.truncated;
    return this.result;
  }
}

/** Parses the whole text of an events.jsonl file. */
export function parseEventLines(text: string): ParsedEvents {
  const decoder = new EventLineDecoder();
  const builder = new ParsedEventsBuilder();
  builder.add(decoder.push(text));
  return builder.end(decoder);
}
