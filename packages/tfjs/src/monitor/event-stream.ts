import { PROTOCOL_VERSION, type GradscopeEvent } from '@gradscope/protocol';
import type { EventSink } from './sinks.js';

/** An event as the monitor drafts it: everything but the envelope the stream adds. */
export type EventDraft = GradscopeEvent extends infer E ? (E extends GradscopeEvent ? Omit<E, 'version' | 'runId' | 'seq' | 'time' | 'step' | 'epoch'> : never) : never;

/**
 * Stamps events with the run's envelope (version, run id, gap-free seq,
 * step, epoch, wall time) and hands them to every sink. A failing sink is
 * reported once and skipped; it never reaches the training loop.
 */
export class EventStream {
  private seq = 0;
  private readonly broken = new Set<string>();

  constructor(
    readonly runId: string,
    private readonly sinks: EventSink[],
  ) {}

  emit(body: EventDraft, step: number, epoch: number): GradscopeEvent {
    const event = { ...body, version: PROTOCOL_VERSION, runId: this.runId, seq: this.seq++, step, epoch, time: Date.now() } as GradscopeEvent;
    for (const sink of this.sinks) {
      try {
        sink.write(event);
      } catch (err) {
        if (!this.broken.has(sink.name)) {
          this.broken.add(sink.name);
          console.warn(`gradscope: the ${sink.name} sink failed (${(err as Error).message}); other sinks carry on`);
        }
      }
    }
    return event;
  }

  get emitted(): number {
    return this.seq;
  }

  async flush(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.flush().catch((err) => console.warn(`gradscope: flushing ${s.name} failed: ${(err as Error).message}`))));
  }

  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close().catch((err) => console.warn(`gradscope: closing ${s.name} failed: ${(err as Error).message}`))));
  }

  /** The process may be ending: every sink that can writes what it holds, synchronously (EventSink.flushNow). */
  flushNow(): void {
    this.atEnd('flushing', (s) => s.flushNow?.());
  }

  /** The process exits: every sink that can writes what it holds and closes, synchronously (EventSink.closeAtExit). */
  closeAtExit(): void {
    this.atEnd('closing', (s) => s.closeAtExit?.());
  }

  private atEnd(doing: string, call: (sink: EventSink) => void): void {
    for (const sink of this.sinks) {
      try {
        call(sink);
      } catch (err) {
        console.warn(`gradscope: ${doing} ${sink.name} as the process ends failed: ${(err as Error).message}`);
      }
    }
  }
}
