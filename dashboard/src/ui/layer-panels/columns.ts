/**
 * What the layer panels share: how a measurement becomes plot columns, and
 * how a compared run's series join this run's.
 */
import type { LayerMeasurement } from '@gradscope/protocol';
import { plotValue } from '../../data/numbers.js';
import type { RunStore } from '../../data/run-store.js';
import type { SeriesSpec } from '../line-chart.js';
import { compared, joinRuns, type Columns } from '../overlay.js';

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
export const P = (xs: ArrayLike<number>) => Array.from(xs, (v) => plotValue(v));

/** The compared run's layer a panel overlays (matched by name, else position). */
export interface ComparedLayer {
  run: RunStore;
  layer: string;
}

/** A layer's measurements over training: x = the training steps, one entry (or null) per measurement. */
export interface OverTraining {
  steps: number[];
  layers: (LayerMeasurement | null)[];
}

/**
 * This run's series plus, when there is a compared run, its twins of the
 * first `count` series (all by default), joined on x.
 */
export function withOther(specs: SeriesSpec[], cols: Columns, other: Columns | null, name: string | undefined, count = specs.length): [SeriesSpec[], Columns] {
  if (!other || name === undefined) return [specs, cols];
  return [[...specs, ...specs.slice(0, count).map((s) => compared(s, name))], joinRuns(cols, other)];
}

/** t = from, from + 1, …: the x column of a chart against time step. */
export const timeSteps = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);
