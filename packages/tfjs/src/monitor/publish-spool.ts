/**
 * The publisher's memory of a run's encoded events, bounded: the newest
 * events within `maxEvents` and `maxBytes`, plus run-start (seq 0), which is
 * never evicted (a server that comes back empty cannot start a run without
 * it).
 *
 * Two policies, chosen by where else the run lives:
 * - `keepAcknowledged: false` (Node with a logdir): the logdir file holds
 *   every event, so memory only keeps what the server has not acknowledged;
 *   older events are read back from the file (logdir-sink.ts).
 * - `keepAcknowledged: true` (a page, or logdir: false): memory is the only
 *   copy, so acknowledged events are kept too, for a server that restarts
 *   without the run. What the bounds evict is gone; the publisher declares
 *   it lost when a server asks for it.
 */
export interface SpooledEvent {
  seq: number;
  line: string;
  /** UTF-8 length of `line`: frames are limited in bytes, not characters. */
  bytes: number;
}

export interface SpoolLimits {
  maxEvents: number;
  maxBytes: number;
  keepAcknowledged: boolean;
}

/** Node with a logdir: only the unacknowledged tail (the file has the rest). */
export const FILE_BACKED: SpoolLimits = { maxEvents: 20_000, maxBytes: 32 * 1024 * 1024, keepAcknowledged: false };
/**
 * A page (or logdir: false): the whole run while it fits in 64 MiB and
 * 200 000 events — about 200 000 train steps of a small model, or a few
 * hundred measurements of a large one (482 KiB each) — then the newest.
 */
export const MEMORY_ONLY: SpoolLimits = { maxEvents: 200_000, maxBytes: 64 * 1024 * 1024, keepAcknowledged: true };

/** UTF-8 byte length without allocating (Buffer is Node-only, TextEncoder copies). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff) i++, (n += 2); // a surrogate pair: 2 chars, 4 bytes
    else n += 2;
  }
  return n;
}

export class PublishSpool {
  private items: SpooledEvent[] = [];
  private head = 0;
  private bytes = 0;
  private pinned: SpooledEvent | null = null;
  /** Highest seq ever evicted by the bounds (-1: none). */
  evictedThrough = -1;

  constructor(private readonly limits: SpoolLimits = FILE_BACKED) {}

  push(e: SpooledEvent): void {
    if (e.seq === 0) {
      this.pinned = e;
      return;
    }
    this.items.push(e);
    this.bytes += e.bytes;
    while (this.items.length - this.head > this.limits.maxEvents || (this.bytes > this.limits.maxBytes && this.items.length - this.head > 1)) {
      const old = this.items[this.head++]!;
      this.bytes -= old.bytes;
      this.evictedThrough = old.seq;
    }
    this.compact();
  }

  /** The server has everything at or below `seq`: a file-backed spool forgets it. */
  acknowledged(seq: number): void {
    if (this.limits.keepAcknowledged) return;
    if (seq >= 0) this.pinned = null;
    while (this.head < this.items.length && this.items[this.head]!.seq <= seq) this.bytes -= this.items[this.head++]!.bytes;
    this.compact();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Bytes held (for tests and the bound). */
  get heldBytes(): number {
    return this.bytes + (this.pinned?.bytes ?? 0);
  }

  /**
   * Events held in memory from seq `from` on, consecutive, at most
   * `maxCount` and `maxBytes` (at least one). Empty when `from` is not held.
   */
  from(from: number, maxCount: number, maxBytes: number): SpooledEvent[] {
    const out: SpooledEvent[] = [];
    let bytes = 0;
    if (from === 0) {
      if (!this.pinned) return out;
      out.push(this.pinned);
      bytes += this.pinned.bytes;
      from = 1;
    }
    const first = this.head < this.items.length ? this.items[this.head]!.seq : null;
    if (first === null || from < first) return out;
    // Seqs are consecutive in memory, so the start index is arithmetic.
    for (let i = this.head + (from - first); i < this.items.length && out.length < maxCount; i++) {
      const e = this.items[i]!;
      if (out.length > 0 && bytes + e.bytes > maxBytes) break;
      out.push(e);
      bytes += e.bytes;
    }
    return out;
  }

  /** Lowest seq above 0 held in memory (null: none): where a gap after an eviction ends. */
  get firstAfterStart(): number | null {
    return this.head < this.items.length ? this.items[this.head]!.seq : null;
  }
}
