/**
 * Panel 3: the gradient through time — ln‖∂L/∂s_t‖ against t at the selected
 * step (mean, min, max over the probe), and over training as a heatmap of
 * ln(‖∂L/∂s_t‖/‖∂L/∂s_T‖).
 */
import type { LayerMeasurement } from '@gradscope/protocol';
import { fmt, ln } from '../../data/numbers.js';
import type { RunStore } from '../../data/run-store.js';
import { HELP } from '../help.js';
import { LineChart, type SeriesSpec } from '../line-chart.js';
import type { Columns } from '../overlay.js';
import { panel } from '../panel.js';
import { P, timeSteps, withOther, type ComparedLayer } from './columns.js';
import { LayerHeatmap } from './layer-heatmap.js';

/** ln(‖∂L/∂s_t‖/‖∂L/∂s_T‖): 0 at the last step, negative where the gradient has faded. */
const lnGradRatio = (l: LayerMeasurement) => {
  const g = l.gradNorm?.mean ?? [];
  const last = ln(g[g.length - 1] ?? NaN);
  return Float64Array.from(g, (v) => ln(v) - last);
};

// The compared run's mean only: its min/max band would hide this run's.
const SPECS: SeriesSpec[] = [
  { label: 'mean over probe', stroke: '#d62728', width: 2 },
  { label: 'min', stroke: '#d6272866', dash: [2, 3] },
  { label: 'max', stroke: '#d6272866', dash: [2, 3] },
];

function columns(m: LayerMeasurement | null, all: boolean): Columns {
  const g = m?.gradNorm;
  const cols = [timeSteps(g ? g.mean.length : 0, 0), P(Array.from(g?.mean ?? [], ln))];
  return all ? [...cols, P(Array.from(g?.min ?? [], ln)), P(Array.from(g?.max ?? [], ln))] : cols;
}

export class GradientPanel {
  private readonly line: LineChart;
  private readonly heat: LayerHeatmap;

  constructor(grid: HTMLElement, private readonly layer: string, pickStep: (step: number) => void) {
    const p = panel(grid, '3 · gradient through time', HELP.gradient, `${layer}-gradient`, () => [this.line.canvas!, ...this.heat.canvases]);
    this.line = new LineChart(p.body, { xLabel: 'time step t', yLabel: 'ln ‖∂L/∂s_t‖', height: 150 });
    this.heat = new LayerHeatmap(p.body, { yLabel: 't', legendLabel: (v) => `× ${fmt(Math.exp(v), 2).replace('e+', 'e')}`, height: 140, onPickStep: pickStep }, lnGradRatio, 0);
  }

  renderHeatmap(store: RunStore, step: number, other: ComparedLayer | null, dataChanged: boolean): void {
    this.heat.render(store, this.layer, step, other, dataChanged);
  }

  renderAtStep(l: LayerMeasurement | null, other: { l: LayerMeasurement; name: string } | null): void {
    this.line.setData(...withOther(SPECS, columns(l, true), other && columns(other.l, false), other?.name, 1));
  }
}
