/**
 * How a line chart shows a second run and smoothing, the same way on every
 * panel: a compared series has its counterpart's colour, drawn dotted, its
 * legend label ending in "· <compared run>"; a smoothed series is drawn solid
 * over a faint copy of the raw values (as TensorBoard does), so a spike is
 * still visible under the smoothed curve.
 */
import uPlot from 'uplot';
import type { RunStore } from '../data/run-store.js';
import { smooth } from '../data/smoothing.js';
import type { SeriesSpec } from './line-chart.js';

export type Columns = (number | null)[][];

/** The name a run is shown by in legends and captions. */
export function runLabel(store: RunStore): string {
  return store.start?.name ?? store.runId;
}

/** The compared run's twin of a series: same colour, dotted, labelled with the run. */
export function compared(s: SeriesSpec, run: string): SeriesSpec {
  return { label: `${s.label} · ${run}`, stroke: s.stroke, dash: [1, 4], cap: 'round', width: Math.max(2, s.width ?? 1.5), ...(s.right ? { right: true } : {}) };
}

/** A faint copy of a series' raw values, drawn under its smoothed curve. */
export function raw(s: SeriesSpec): SeriesSpec {
  const hex = /^#[0-9a-f]{6}$/i.test(s.stroke) ? s.stroke : '#888888';
  return { ...s, label: `${s.label} (raw)`, stroke: `${hex}40`, width: 1 };
}

/**
 * Series with smoothing weight w applied: w = 0 returns them as they are;
 * otherwise each becomes a faint raw series followed by its smoothed curve.
 */
export function smoothed(series: SeriesSpec[], cols: Columns, weight: number): { series: SeriesSpec[]; cols: Columns } {
  if (weight === 0) return { series, cols };
  const out: { series: SeriesSpec[]; cols: Columns } = { series: [], cols: [] };
  series.forEach((s, i) => {
    out.series.push(raw(s), s);
    out.cols.push(cols[i]!, smooth(cols[i]!, weight));
  });
  return out;
}

/**
 * Puts two runs' columns on one x axis ([x, ...ys] each). Points only one run
 * has leave the other's series undefined there (uPlot spans such alignment
 * holes), while a null of the run itself stays a gap.
 */
export function joinRuns(shown: Columns, other: Columns): Columns {
  return uPlot.join([shown as uPlot.AlignedData, other as uPlot.AlignedData]) as unknown as Columns;
}
