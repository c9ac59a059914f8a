/**
 * Everything the dashboard knows about one run, merged from the replay and
 * the live stream. Events are deduplicated by seq (a reconnect replays from
 * the last seq we hold, but the server may also resend) and kept in seq order
 * per type, so a replay that arrives after live events still lands in place.
 *
 * Consumers poll cheaply: `version` bumps on every change; `revision` bumps
 * only when something was inserted *before* the end (out of order), which
 * means incremental consumers (the heatmap) must rebuild instead of append.
 */
import type {
  AlertEvent,
  ClipEvent,
  GradscopeEvent,
  LayerMeasurement,
  MeasurementEvent,
  RunEndEvent,
  RunStartEvent,
  TrainStepEvent,
} from '@gradscope/protocol';

export interface MergeResult {
  added: number;
  duplicates: number;
  /** Whether an event landed before existing ones (consumers must rebuild). */
  reordered: boolean;
}

/** Inserts by seq; returns true when it was not appended at the end. */
function insertBySeq<E extends { seq: number }>(list: E[], e: E): boolean {
  const last = list[list.length - 1];
  if (!last || last.seq < e.seq) {
    list.push(e);
    return false;
  }
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.seq < e.seq) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, e);
  return true;
}

export class RunStore {
  start: RunStartEvent | null = null;
  end: RunEndEvent | null = null;
  readonly trainSteps: TrainStepEvent[] = [];
  readonly measurements: MeasurementEvent[] = [];
  readonly clips: ClipEvent[] = [];
  readonly alerts: AlertEvent[] = [];
  /** Highest seq held; the `since` of a resubscribe. */
  lastSeq = -1;
  version = 0;
  revision = 0;
  /** True when the server said the replay was downsampled (long run): gaps in seq are expected. */
  downsampled = false;
  private readonly seen = new Set<number>();

  constructor(readonly runId: string) {}

  merge(events: readonly GradscopeEvent[]): MergeResult {
    const result: MergeResult = { added: 0, duplicates: 0, reordered: false };
    for (const e of events) {
      if (e.runId !== this.runId) continue;
      if (this.seen.has(e.seq)) {
        result.duplicates++;
        continue;
      }
      this.seen.add(e.seq);
      result.added++;
      if (e.seq > this.lastSeq) this.lastSeq = e.seq;
      let moved = false;
      switch (e.type) {
        case 'run-start':
          this.start = e;
          break;
        case 'run-end':
          this.end = e;
          break;
        case 'train-step':
          moved = insertBySeq(this.trainSteps, e);
          break;
        case 'measurement':
          moved = insertBySeq(this.measurements, e);
          break;
        case 'clip':
          moved = insertBySeq(this.clips, e);
          break;
        case 'alert':
          moved = insertBySeq(this.alerts, e);
          break;
      }
      if (moved) result.reordered = true;
    }
    if (result.added > 0) this.version++;
    if (result.reordered) this.revision++;
    return result;
  }

  /** Names of the measured recurrent cells, in model order (run-start first, then any seen in measurements). */
  layerNames(): string[] {
    const names: string[] = this.start ? this.start.model.layers.map((l) => l.name) : [];
    const first = this.measurements[0];
    if (first) for (const l of first.layers) if (!names.includes(l.layer)) names.push(l.layer);
    return names;
  }

  /** The record of `layer` in measurement i, or null when that measurement lacks it. */
  layerAt(i: number, layer: string): LayerMeasurement | null {
    const m = this.measurements[i];
    if (!m) return null;
    for (const l of m.layers) if (l.layer === layer) return l;
    return null;
  }

  /** Index of the last measurement at or before `step` (−1 when none). */
  measurementIndexAt(step: number): number {
    let lo = 0;
    let hi = this.measurements.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.measurements[mid]!.step <= step) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** The latest training step any event has reached. */
  latestStep(): number {
    let s = 0;
    const lists = [this.trainSteps, this.measurements, this.clips, this.alerts];
    for (const l of lists) {
      const e = l[l.length - 1];
      if (e && e.step > s) s = e.step;
    }
    return s;
  }

  /** Clip threshold to draw as a line: the latest clip event's, else the option in run-start, else null. */
  clipThreshold(): number | null {
    const c = this.clips[this.clips.length - 1];
    if (c && c.mode !== 'clipValue') return c.threshold;
    return null;
  }
}
