/**
 * A replay: the stored history of a run after `since`, read from disk,
 * downsampled when it is long (more than `fullBytes` of log).
 */
import { statSync } from 'node:fs';
import { Downsampler } from './downsample.js';
import type { RunState } from './run-state.js';
import type { RunStore, StoredEvent } from './run-store.js';

export interface Replay {
  lines: string[];
  downsampled: boolean;
  /** seq of the last event covered; `since` when there was nothing new. */
  lastSeq: number;
}

/** The replay, or null when `cancelled()` turned true while reading (a newer subscribe superseded it). */
export async function buildReplay(store: RunStore, run: RunState, since: number, fullBytes: number, cancelled: () => boolean = () => false): Promise<Replay | null> {
  let size = run.scannedBytes;
  try {
    size = Math.max(size, statSync(run.file).size);
  } catch {
    // not on disk yet (a brand new run): nothing to read
  }
  const long = size - run.offsetAfter(since) > fullBytes;
  const sampler = long ? new Downsampler(run.step) : null;
  const all: StoredEvent[] = [];
  let lastSeq = since;
  for await (const s of store.readEvents(run, since)) {
    if (cancelled()) return null;
    lastSeq = s.event.seq;
    if (sampler) sampler.add(s);
    else all.push(s);
  }
  const kept = sampler ? sampler.finish() : all;
  return { lines: kept.map((s) => s.line), downsampled: sampler !== null, lastSeq };
}
