/** Panel 5: the recurrent kernel's ‖R‖₂ and ρ(R) over training against the mean and max ‖J_t‖ (the seed's ‖J_t‖ ≤ ‖W_hh‖). */
import type { LayerMeasurement } from '@gradscope/protocol';
import { plotValue } from '../../data/numbers.js';
import { HELP } from '../help.js';
import { LineChart, type SeriesSpec } from '../line-chart.js';
import type { Columns } from '../overlay.js';
import { panel } from '../panel.js';
import { withOther, type OverTraining } from './columns.js';

const SPECS: SeriesSpec[] = [
  { label: '‖R‖₂', stroke: '#1f77b4', width: 2 },
  { label: 'ρ(R)', stroke: '#2ca02c', width: 2 },
  { label: 'mean_t ‖J_t‖', stroke: '#d62728', width: 2 },
  { label: 'β = max ‖J_t‖', stroke: '#d62728', dash: [4, 3] },
];

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length ? s / xs.length : NaN;
}

const columns = ({ steps, layers }: OverTraining): Columns => [
  steps,
  layers.map((l) => plotValue(l?.recurrentKernel.norm)),
  layers.map((l) => plotValue(l?.recurrentKernel.spectralRadius)),
  layers.map((l) => plotValue(l ? mean(l.stepNorm.mean) : NaN)),
  layers.map((l) => plotValue(l?.beta.mean)),
];

export class KernelPanel {
  readonly chart: LineChart;

  constructor(grid: HTMLElement, layer: string, pickStep: (step: number) => void) {
    const p = panel(grid, '5 · recurrent kernel and mean ‖J_t‖', HELP.kernel, `${layer}-kernel`, () => [this.chart.canvas!]);
    this.chart = new LineChart(p.body, { xLabel: 'training step', yLabel: 'norm', onPickX: pickStep });
    this.chart.refLines = [{ y: 1, label: '1', stroke: '#555' }];
  }

  renderOverTraining(mine: OverTraining, theirs: OverTraining | null, name: string | undefined): void {
    this.chart.setData(...withOther(SPECS, columns(mine), theirs && columns(theirs), name));
  }
}
