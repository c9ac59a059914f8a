/** Panel 1: ln‖J_t‖ over training, a heatmap (training step across, t up; white is ‖J_t‖ = 1). */
import type { LayerMeasurement } from '@gradscope/protocol';
import { ln } from '../../data/numbers.js';
import type { RunStore } from '../../data/run-store.js';
import { normLegend } from '../heatmap.js';
import { HELP } from '../help.js';
import { panel } from '../panel.js';
import type { ComparedLayer } from './columns.js';
import { LayerHeatmap } from './layer-heatmap.js';

const lnNorms = (l: LayerMeasurement) => Float64Array.from(l.stepNorm.mean, ln);

export class StepNormPanel {
  private readonly heat: LayerHeatmap;

  constructor(grid: HTMLElement, private readonly layer: string, pickStep: (step: number) => void) {
    const p = panel(grid, '1 · ln‖J_t‖ over training (heatmap)', HELP.heatmap, `${layer}-stepnorm`, () => this.heat.canvases);
    this.heat = new LayerHeatmap(p.body, { yLabel: 'time step t', legendLabel: normLegend('‖J‖'), onPickStep: pickStep }, lnNorms, 1);
  }

  render(store: RunStore, step: number, other: ComparedLayer | null, dataChanged: boolean): void {
    this.heat.render(store, this.layer, step, other, dataChanged);
  }
}
