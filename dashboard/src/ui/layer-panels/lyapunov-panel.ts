/** Panel 4: the finite-time Lyapunov exponents λ₁…λ_k over training (at most 8), with the zero line. */
import type { LayerMeasurement } from '@gradscope/protocol';
import { plotValue } from '../../data/numbers.js';
import { HELP } from '../help.js';
import { LineChart, type SeriesSpec } from '../line-chart.js';
import { compared, joinRuns } from '../overlay.js';
import { panel } from '../panel.js';
import { PALETTE, type OverTraining } from './columns.js';

const shownK = (ls: (LayerMeasurement | null)[]) => Math.min(8, ls.reduce((a, l) => Math.max(a, l?.ftle.mean.length ?? 0), 0));
const specs = (n: number): SeriesSpec[] => Array.from({ length: n }, (_, i) => ({ label: `λ${i + 1}`, stroke: PALETTE[i]!, width: i === 0 ? 2.5 : 1 }));
const columns = (ls: (LayerMeasurement | null)[], n: number) => Array.from({ length: n }, (_, i) => ls.map((l) => plotValue(l?.ftle.mean[i])));

export class LyapunovPanel {
  readonly chart: LineChart;

  constructor(grid: HTMLElement, layer: string, pickStep: (step: number) => void) {
    const p = panel(grid, '4 · Lyapunov exponents over training', HELP.ftle, `${layer}-ftle`, () => [this.chart.canvas!]);
    this.chart = new LineChart(p.body, { xLabel: 'training step', yLabel: 'λ (ln per step)', onPickX: pickStep });
    this.chart.refLines = [{ y: 0, label: 'λ = 0', stroke: '#555' }];
  }

  renderOverTraining(mine: OverTraining, theirs: OverTraining | null, name: string | undefined): void {
    const kMine = shownK(mine.layers);
    const kTheirs = theirs ? shownK(theirs.layers) : 0;
    this.chart.setData(
      [...specs(kMine), ...(name ? specs(kTheirs).map((s) => compared(s, name)) : [])],
      theirs ? joinRuns([mine.steps, ...columns(mine.layers, kMine)], [theirs.steps, ...columns(theirs.layers, kTheirs)]) : [mine.steps, ...columns(mine.layers, kMine)],
    );
  }
}
