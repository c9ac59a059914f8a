/**
 * What a publisher has emitted but the server has not acknowledged, bounded.
 * In memory: the newest events (at most MAX_EVENTS / MAX_BYTES). When older
 * ones had to be evicted, they are read back from the run's logdir file if
 * there is one (Node: the logdir is the spool); otherwise (a browser, or
 * logdir: false) they are lost and counted.
 */
export interface SpooledEvent {
  seq: number;
  line: string;
}

export const MAX_EVENTS = 20_000;
export const MAX_BYTES = 32 * 1024 * 1024;

export class PublishSpool {
  private items: SpooledEvent[] = [];
  private head = 0;
  private bytes = 0;
  /** Highest seq ever evicted from memory (-1: none). */
  evictedThrough = -1;

  constructor(
    private readonly maxEvents = MAX_EVENTS,
    private readonly maxBytes = MAX_BYTES,
  ) {}

  push(e: SpooledEvent): void {
    this.items.push(e);
    this.bytes += e.line.length;
    while (this.items.length - this.head > this.maxEvents || (this.bytes > this.maxBytes && this.items.length - this.head > 1)) {
      const old = this.items[this.head++]!;
      this.bytes -= old.line.length;
      this.evictedThrough = old.seq;
    }
    this.compact();
  }

  /** Forgets everything at or below `seq` (acknowledged). */
  ack(seq: number): void {
    while (this.head < this.items.length && this.items[this.head]!.seq <= seq) this.bytes -= this.items[this.head++]!.line.length;
    this.compact();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Lowest seq held in memory, or null when empty. */
  get first(): number | null {
    return this.head < this.items.length ? this.items[this.head]!.seq : null;
  }

  get last(): number | null {
    return this.items.length > this.head ? this.items[this.items.length - 1]!.seq : null;
  }

  /** Events in memory with seq > after, at most `maxCount` and about `maxBytes`. */
  after(after: number, maxCount: number, maxBytes: number): SpooledEvent[] {
    const out: SpooledEvent[] = [];
    let bytes = 0;
    // Seqs are consecutive in memory, so the start index is arithmetic.
    const first = this.first;
    if (first === null) return out;
    let i = this.head + Math.max(0, after + 1 - first);
    for (; i < this.items.length && out.length < maxCount && (bytes < maxBytes || out.length === 0); i++) {
      const e = this.items[i]!;
      out.push(e);
      bytes += e.line.length;
    }
    return out;
  }
}
