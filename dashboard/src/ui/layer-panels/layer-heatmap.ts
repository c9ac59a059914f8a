/**
 * A heatmap over training of one per-t quantity of a layer (one column per
 * measurement), with the compared run's map under it. Columns are cached by
 * event object: a measurement is immutable once received.
 */
import type { LayerMeasurement, MeasurementEvent } from '@gradscope/protocol';
import type { RunStore } from '../../data/run-store.js';
import type { HeatmapOptions, HeatmapSource } from '../heatmap.js';
import { HeatmapPair } from '../heatmap-pair.js';
import { runLabel } from '../overlay.js';
import type { ComparedLayer } from './columns.js';

function cached(fn: (l: LayerMeasurement) => Float64Array): (m: MeasurementEvent, layer: string) => Float64Array {
  const cache = new WeakMap<MeasurementEvent, Float64Array>();
  return (m, layer) => {
    let c = cache.get(m);
    if (!c) {
      const l = m.layers.find((x) => x.layer === layer);
      c = l ? fn(l) : new Float64Array(0);
      cache.set(m, c);
    }
    return c;
  };
}

export class LayerHeatmap {
  readonly pair: HeatmapPair;
  private readonly col: (m: MeasurementEvent, layer: string) => Float64Array;
  /** The compared run's columns, cached per compared run and layer (rebuilt when either changes). */
  private cmp: { key: string; col: (m: MeasurementEvent, layer: string) => Float64Array };

  /** `firstRow`: the t of the column's first value (1 for per-step quantities, 0 for gradNorm's t = 0..T). */
  constructor(parent: HTMLElement, opts: HeatmapOptions, private readonly column: (l: LayerMeasurement) => Float64Array, private readonly firstRow: number) {
    this.pair = new HeatmapPair(parent, opts);
    this.col = cached(column);
    this.cmp = { key: '', col: cached(column) };
  }

  get canvases(): HTMLCanvasElement[] {
    return this.pair.canvases;
  }

  render(store: RunStore, layer: string, step: number, other: ComparedLayer | null, dataChanged: boolean): void {
    if (other) {
      const key = `${other.run.runId}\n${other.layer}`;
      if (key !== this.cmp.key) this.cmp = { key, col: cached(this.column) };
    }
    const heat = this.pair;
    heat.cursorStep = step;
    if (!dataChanged) {
      heat.draw();
      return;
    }
    const ms = store.measurements;
    const { firstRow } = this;
    const src: HeatmapSource = { count: ms.length, revision: store.revision, column: (i) => this.col(ms[i]!, layer), step: (i) => ms[i]!.step, firstRow };
    const cms = other?.run.measurements ?? [];
    const cmpCol = this.cmp.col;
    heat.update(
      src,
      other && {
        key: this.cmp.key,
        src: { count: cms.length, revision: other.run.revision, column: (i) => cmpCol(cms[i]!, other.layer), step: (i) => cms[i]!.step, firstRow },
        caption: `compared: ${runLabel(other.run)} · layer ${other.layer}`,
        shownCaption: `${runLabel(store)} · layer ${layer}`,
      },
    );
  }
}
