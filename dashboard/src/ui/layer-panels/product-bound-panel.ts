/**
 * Panel 2: the product against its bound at the selected step —
 * ln‖J_t⋯J_1‖ (logProduct), Σ ln‖J_u‖ (logBound) and the β^T line t·ln β —
 * with the gap between product and bound shaded.
 */
import type { LayerMeasurement } from '@gradscope/protocol';
import { ln, plotValue } from '../../data/numbers.js';
import { HELP } from '../help.js';
import { LineChart, type SeriesSpec } from '../line-chart.js';
import type { Columns } from '../overlay.js';
import { panel } from '../panel.js';
import { P, timeSteps, withOther } from './columns.js';

const SPECS: SeriesSpec[] = [
  { label: 'ln‖J_t⋯J_1‖ (product)', stroke: '#1f77b4', width: 2 },
  { label: 'Σ ln‖J_u‖ (bound)', stroke: '#ff7f0e', width: 2 },
  { label: 't·ln β', stroke: '#555', dash: [5, 4] },
];

function columns(m: LayerMeasurement | null): Columns {
  const x = timeSteps(m?.steps ?? 0);
  const lnBeta = m ? ln(m.beta.mean) : NaN;
  return [x, P(m?.logProduct.mean ?? []), P(m?.logBound.mean ?? []), x.map((v) => plotValue(v * lnBeta))];
}

export class ProductBoundPanel {
  private readonly chart: LineChart;

  constructor(grid: HTMLElement, layer: string) {
    const p = panel(grid, '2 · product vs bound at the selected step', HELP.product, `${layer}-product`, () => [this.chart.canvas!]);
    this.chart = new LineChart(p.body, { xLabel: 'time step t', yLabel: 'ln norm', band: { upper: 1, lower: 0, fill: 'rgba(255,127,14,0.15)' } });
  }

  renderAtStep(l: LayerMeasurement | null, other: { l: LayerMeasurement; name: string } | null): void {
    this.chart.setData(...withOther(SPECS, columns(l), other && columns(other.l), other?.name));
  }
}
