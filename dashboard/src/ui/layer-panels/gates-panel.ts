/**
 * Panel 6: the gates — LSTM forget/input/output means over t with the
 * carousel ln Π f on the right axis, or GRU update/reset — at the selected
 * step, and the fraction of saturated entries per gate over training.
 */
import type { LayerMeasurement } from '@gradscope/protocol';
import { plotValue } from '../../data/numbers.js';
import { HELP } from '../help.js';
import { LineChart, type SeriesSpec } from '../line-chart.js';
import { compared, joinRuns, type Columns } from '../overlay.js';
import { panel } from '../panel.js';
import { P, PALETTE, type OverTraining } from './columns.js';

/** Gate means against t (LSTM f, i, o and the carousel on the right axis; GRU z, r), or a placeholder. */
function gateSeries(l: LayerMeasurement | null): { specs: SeriesSpec[]; cols: Columns } {
  const gates = l?.gates;
  const t = Array.from({ length: l?.steps ?? 0 }, (_, i) => i + 1);
  if (gates?.kind === 'lstm') {
    return {
      specs: [{ label: 'forget f', stroke: '#2ca02c', width: 2 }, { label: 'input i', stroke: '#1f77b4' }, { label: 'output o', stroke: '#9467bd' }, { label: 'ln Π f (carousel)', stroke: '#8c564b', right: true, dash: [6, 3] }],
      cols: [t, P(gates.forget.mean), P(gates.input.mean), P(gates.output.mean), P(gates.logCarousel.mean)],
    };
  }
  if (gates?.kind === 'gru') return { specs: [{ label: 'update z', stroke: '#2ca02c', width: 2 }, { label: 'reset r', stroke: '#1f77b4' }], cols: [t, P(gates.update.mean), P(gates.reset.mean)] };
  return { specs: [{ label: `no gates (${l?.kind ?? 'no measurement'})`, stroke: '#999' }], cols: [t, t.map(() => null)] };
}

/** Saturation fractions over training, one series per gate of the first measurement that has gates. */
function saturationSeries({ steps, layers }: OverTraining): { specs: SeriesSpec[]; cols: Columns } {
  const sat = layers.find((l) => l?.gates)?.gates;
  const names = sat ? Object.keys(sat.saturation) : [];
  if (!names.length) return { specs: [{ label: 'no gates', stroke: '#999' }], cols: [steps, steps.map(() => null)] };
  return {
    specs: names.map((n, i) => ({ label: n, stroke: PALETTE[i]! })),
    cols: [steps, ...names.map((n) => layers.map((l) => plotValue(l?.gates ? (l.gates.saturation as Record<string, number>)[n] : null)))],
  };
}

export class GatesPanel {
  private readonly gates: LineChart;
  readonly saturation: LineChart;

  constructor(grid: HTMLElement, layer: string, pickStep: (step: number) => void) {
    const p = panel(grid, '6 · gates', HELP.gates, `${layer}-gates`, () => [this.gates.canvas!, this.saturation.canvas!]);
    this.gates = new LineChart(p.body, { xLabel: 'time step t', yLabel: 'gate mean', rightLabel: 'ln Π f', height: 150 });
    this.saturation = new LineChart(p.body, { xLabel: 'training step', yLabel: 'saturated', height: 130, onPickX: pickStep });
  }

  renderAtStep(l: LayerMeasurement | null, other: { l: LayerMeasurement; name: string } | null): void {
    const mine = gateSeries(l);
    // A compared cell without gates (SimpleRNN) has nothing to overlay here; its badge says what it is.
    const theirs = other && other.l.gates ? gateSeries(other.l) : null;
    const series = [...mine.specs, ...(theirs && other ? theirs.specs.map((s) => compared(s, other.name)) : [])];
    this.gates.setData(series, theirs ? joinRuns(mine.cols, theirs.cols) : mine.cols);
  }

  renderOverTraining(mine: OverTraining, theirs: OverTraining | null, name: string | undefined): void {
    const m = saturationSeries(mine);
    const t = theirs && theirs.layers.some((l) => l?.gates) ? saturationSeries(theirs) : null;
    this.saturation.setData([...m.specs, ...(t && name ? t.specs.map((s) => compared(s, name)) : [])], t ? joinRuns(m.cols, t.cols) : m.cols);
  }
}
