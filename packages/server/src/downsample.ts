/**
 * Downsampling of a long run for replay (the full data stays on disk and is
 * paged by REST). Streaming: events go in one at a time, memory is bounded
 * by the number of buckets, not by the run's length.
 *
 * - run-start, run-end and alerts are always kept; clips too, up to
 *   MAX_CLIPS, after which they are bucketed like train steps (keeping the
 *   largest normBefore) — an exploding run can clip every step;
 * - train-step events are bucketed by step and each bucket keeps its
 *   min-loss, max-loss and latest event (TensorBoard and W&B do similar);
 *   a non-finite loss counts as the maximum, so a NaN is never hidden;
 * - measurement events likewise, keyed by the largest top Lyapunov exponent
 *   over the layers;
 * - the very latest event is always kept.
 * Output is in seq order.
 */
import type { GradscopeEvent } from '@gradscope/protocol';
import type { StoredEvent } from './run-store.js';

export const TRAIN_BUCKETS = 1000;
export const MEASUREMENT_BUCKETS = 200;
export const MAX_CLIPS = 10_000;

interface Bucket {
  min: StoredEvent | null;
  max: StoredEvent | null;
  latest: StoredEvent | null;
  minKey: number;
  maxKey: number;
}

function key(e: GradscopeEvent): number {
  if (e.type === 'train-step') return e.loss ?? Number.NaN;
  if (e.type === 'measurement') {
    let k = -Infinity;
    for (const l of e.layers) {
      const v = l.ftle.mean[0] ?? Number.NaN;
      if (!Number.isFinite(v)) return Number.POSITIVE_INFINITY;
      k = Math.max(k, v);
    }
    return k;
  }
  if (e.type === 'clip') return e.normBefore;
  return 0;
}

class Bucketer {
  private current = -1;
  private bucket: Bucket = { min: null, max: null, latest: null, minKey: Infinity, maxKey: -Infinity };

  constructor(
    private readonly width: number,
    private readonly out: StoredEvent[],
    private readonly keepMin: boolean,
  ) {}

  add(s: StoredEvent): void {
    const b = Math.floor(s.event.step / this.width);
    if (b !== this.current) this.flush(), (this.current = b);
    const raw = key(s.event);
    const k = Number.isFinite(raw) ? raw : Number.POSITIVE_INFINITY; // non-finite is the extreme worth seeing
    const bk = this.bucket;
    if (this.keepMin && k < bk.minKey) (bk.min = s), (bk.minKey = k);
    if (k > bk.maxKey || bk.max === null) (bk.max = s), (bk.maxKey = k);
    bk.latest = s;
  }

  flush(): void {
    const seen = new Set<number>();
    for (const s of [this.bucket.min, this.bucket.max, this.bucket.latest]) {
      if (s && !seen.has(s.event.seq)) seen.add(s.event.seq), this.out.push(s);
    }
    this.bucket = { min: null, max: null, latest: null, minKey: Infinity, maxKey: -Infinity };
  }
}

export class Downsampler {
  private readonly out: StoredEvent[] = [];
  private readonly train: Bucketer;
  private readonly measure: Bucketer;
  private readonly clips: Bucketer;
  private clipCount = 0;
  private last: StoredEvent | null = null;

  /** `lastStep`: the run's latest step, which sets the bucket widths. */
  constructor(lastStep: number) {
    const steps = Math.max(1, lastStep + 1);
    this.train = new Bucketer(Math.max(1, Math.ceil(steps / TRAIN_BUCKETS)), this.out, true);
    this.measure = new Bucketer(Math.max(1, Math.ceil(steps / MEASUREMENT_BUCKETS)), this.out, true);
    this.clips = new Bucketer(Math.max(1, Math.ceil(steps / TRAIN_BUCKETS)), this.out, false);
  }

  add(s: StoredEvent): void {
    this.last = s;
    const t = s.event.type;
    if (t === 'train-step') this.train.add(s);
    else if (t === 'measurement') this.measure.add(s);
    else if (t === 'clip' && ++this.clipCount > MAX_CLIPS) this.clips.add(s);
    else this.out.push(s);
  }

  /** The kept events in seq order. */
  finish(): StoredEvent[] {
    this.train.flush();
    this.measure.flush();
    this.clips.flush();
    if (this.last && !this.out.includes(this.last)) this.out.push(this.last);
    return this.out.sort((a, b) => a.event.seq - b.event.seq);
  }
}
