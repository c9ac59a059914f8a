/**
 * What the server keeps in memory per run: its summary and a sparse index
 * of byte offsets (one entry per INDEX_EVERY events). Nothing else: event
 * history is read from disk on demand, so memory per run is constant
 * however long the run is.
 */
import type { CellKind, GradscopeEvent, Regime, RunStatus, RunSummary } from '@gradscope/protocol';

export const INDEX_EVERY = 256;

export class RunState {
  name: string;
  startTime = 0;
  lastTime = 0;
  lastSeq = -1;
  step = 0;
  epoch = 0;
  loss: number | null = null;
  events = 0;
  trainSteps = 0;
  ended: RunStatus | null = null;
  /** Publisher connections (or embedded feeds) writing this run now. */
  live = 0;
  /** Bytes of the file already scanned or written (complete lines only). */
  scannedBytes = 0;
  /**
   * 'server': appended by this server's writer; 'local': fed in-process (the
   * embedded server), written by the callback; 'shared': published to this
   * server while the callback's own logdir writer holds the file (server and
   * callback in one folder), so the callback writes and the server keeps
   * the events in memory until it has.
   */
  source: 'disk' | 'server' | 'local' | 'shared' = 'disk';
  /** Time of the run's run-start (seq 0): a new run reusing the id has another. */
  runStartTime: number | null = null;
  private readonly layers = new Map<string, { kind: CellKind; units: number; regime: Regime | null }>();
  /** Sparse (seq, byte offset) pairs, seq ascending. */
  private readonly index: { seq: number; offset: number }[] = [];

  constructor(
    readonly runId: string,
    readonly file: string,
  ) {
    this.name = runId;
  }

  /**
   * Folds one event into the summary. Events at or below lastSeq are ignored
   * (returns false): a file read twice, or a resent batch, counts once.
   */
  add(event: GradscopeEvent, offset: number | null): boolean {
    if (event.seq <= this.lastSeq) return false;
    if (offset !== null && (this.index.length === 0 || event.seq - this.index[this.index.length - 1]!.seq >= INDEX_EVERY)) {
      this.index.push({ seq: event.seq, offset });
    }
    this.lastSeq = event.seq;
    this.events++;
    if (this.startTime === 0) this.startTime = event.time;
    this.lastTime = event.time;
    this.step = event.step;
    this.epoch = event.epoch;
    switch (event.type) {
      case 'run-start':
        this.runStartTime = event.time;
        this.name = event.name;
        this.startTime = event.time;
        for (const l of event.model.layers) this.layers.set(l.name, { kind: l.kind, units: l.units, regime: null });
        break;
      case 'train-step':
        this.trainSteps++;
        this.loss = event.loss !== null && Number.isFinite(event.loss) ? event.loss : null;
        break;
      case 'measurement':
        for (const l of event.layers) {
          const known = this.layers.get(l.layer);
          this.layers.set(l.layer, { kind: l.kind, units: l.units, regime: l.regime ?? known?.regime ?? null });
        }
        break;
      case 'run-end':
        this.ended = event.status;
        break;
      default:
        break;
    }
    return true;
  }

  /**
   * Records the offset of an event already counted (an event fed from memory
   * first, then found in the file by a scan), so reads of a shared or
   * embedded run's file need not start at its top.
   */
  note(seq: number, offset: number): void {
    const last = this.index[this.index.length - 1];
    if (seq <= this.lastSeq && (last === undefined ? seq >= 0 : seq - last.seq >= INDEX_EVERY)) this.index.push({ seq, offset });
  }

  /** Byte offset to start reading at to see every event with seq > since (0: the top). */
  offsetAfter(since: number): number {
    let lo = 0;
    let hi = this.index.length - 1;
    let best = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const entry = this.index[mid]!;
      if (entry.seq <= since + 1) {
        best = entry.offset;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }

  summary(): RunSummary {
    return {
      runId: this.runId,
      name: this.name,
      // A stored run-end decides: its publisher's socket closes a moment after sending it, and the run is over by then.
      status: this.ended ?? (this.live > 0 ? 'live' : 'incomplete'),
      startTime: this.startTime,
      lastTime: this.lastTime,
      lastSeq: this.lastSeq,
      step: this.step,
      epoch: this.epoch,
      loss: this.loss,
      events: this.events,
      layers: [...this.layers].map(([name, l]) => ({ name, kind: l.kind, units: l.units, regime: l.regime })),
    };
  }
}
