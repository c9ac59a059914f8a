/**
 * The six panels of one recurrent layer (one per measured quantity): ‖J_t‖
 * heatmap, product vs bound, gradient through time, Lyapunov exponents,
 * recurrent kernel, gates. `render` is called at most once per frame and
 * only does work when the run's store changed or the cursor moved.
 */
import type { LayerMeasurement, MeasurementEvent } from '@gradscope/protocol';
import uPlot from 'uplot';
import { fmt, ln, plotValue } from '../data/numbers.js';
import type { RunStore } from '../data/run-store.js';
import { DiagnosisPanel } from './diagnosis-panel.js';
import { Heatmap, normLegend, type HeatmapSource } from './heatmap.js';
import { HELP } from './help.js';
import { LineChart, type SeriesSpec } from './line-chart.js';
import { panel } from './panel.js';

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
const P = (xs: ArrayLike<number>) => Array.from(xs, (v) => plotValue(v));

/** Per-measurement columns, cached by event object: a measurement is immutable once received. */
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

const lnNorms = (l: LayerMeasurement) => Float64Array.from(l.stepNorm.mean, ln);
/** ln(‖∂L/∂s_t‖/‖∂L/∂s_T‖): 0 at the last step, negative where the gradient has faded. */
const lnGradRatio = (l: LayerMeasurement) => {
  const g = l.gradNorm?.mean ?? [];
  const last = ln(g[g.length - 1] ?? NaN);
  return Float64Array.from(g, (v) => ln(v) - last);
};

export class LayerView {
  readonly el: HTMLElement;
  private readonly normHeat: Heatmap;
  private readonly gradHeat: Heatmap;
  private readonly product: LineChart;
  private readonly gradLine: LineChart;
  private readonly ftle: LineChart;
  private readonly kernel: LineChart;
  private readonly gates: LineChart;
  private readonly saturation: LineChart;
  private readonly badge: HTMLElement;
  private readonly diagnosis: DiagnosisPanel;
  /** Last drawn; the compare run's id matters too (equal versions of different runs). */
  private seen = { version: -1, step: -1, compareId: '', compare: -1 };
  private readonly normCol = cached(lnNorms);
  private readonly gradCol = cached(lnGradRatio);

  constructor(parent: HTMLElement, readonly layer: string, pickStep: (step: number) => void) {
    this.el = document.createElement('div');
    this.el.className = 'layer';
    this.el.dataset.layer = layer;
    const head = document.createElement('h2');
    head.textContent = `layer ${layer} `;
    this.badge = document.createElement('span');
    this.badge.className = 'regime';
    head.appendChild(this.badge);
    this.el.appendChild(head);
    this.diagnosis = new DiagnosisPanel(this.el, layer);
    const grid = document.createElement('div');
    grid.className = 'grid';
    this.el.appendChild(grid);
    parent.appendChild(this.el);

    const p1 = panel(grid, '1 · ln‖J_t‖ over training (heatmap)', HELP.heatmap, `${layer}-stepnorm`, () => [this.normHeat.canvas]);
    this.normHeat = new Heatmap(p1.body, { yLabel: 'time step t', legendLabel: normLegend('‖J‖'), onPickStep: pickStep });
    const p2 = panel(grid, '2 · product vs bound at the selected step', HELP.product, `${layer}-product`, () => [this.product.canvas!]);
    this.product = new LineChart(p2.body, { xLabel: 'time step t', yLabel: 'ln norm', band: { upper: 1, lower: 0, fill: 'rgba(255,127,14,0.15)' } });
    const p3 = panel(grid, '3 · gradient through time', HELP.gradient, `${layer}-gradient`, () => [this.gradLine.canvas!, this.gradHeat.canvas]);
    this.gradLine = new LineChart(p3.body, { xLabel: 'time step t', yLabel: 'ln ‖∂L/∂s_t‖', height: 150 });
    this.gradHeat = new Heatmap(p3.body, { yLabel: 't', legendLabel: (v) => `× ${fmt(Math.exp(v), 2).replace('e+', 'e')}`, height: 140, onPickStep: pickStep });
    const p4 = panel(grid, '4 · Lyapunov exponents over training', HELP.ftle, `${layer}-ftle`, () => [this.ftle.canvas!]);
    this.ftle = new LineChart(p4.body, { xLabel: 'training step', yLabel: 'λ (ln per step)', onPickX: pickStep });
    this.ftle.refLines = [{ y: 0, label: 'λ = 0', stroke: '#555' }];
    const p5 = panel(grid, '5 · recurrent kernel and mean ‖J_t‖', HELP.kernel, `${layer}-kernel`, () => [this.kernel.canvas!]);
    this.kernel = new LineChart(p5.body, { xLabel: 'training step', yLabel: 'norm', onPickX: pickStep });
    this.kernel.refLines = [{ y: 1, label: '1', stroke: '#555' }];
    const p6 = panel(grid, '6 · gates', HELP.gates, `${layer}-gates`, () => [this.gates.canvas!, this.saturation.canvas!]);
    this.gates = new LineChart(p6.body, { xLabel: 'time step t', yLabel: 'gate mean', rightLabel: 'ln Π f', height: 150 });
    this.saturation = new LineChart(p6.body, { xLabel: 'training step', yLabel: 'saturated', height: 130, onPickX: pickStep });
  }

  render(store: RunStore, step: number, compare: RunStore | null): void {
    const dataChanged = store.version !== this.seen.version || (compare?.runId ?? '') !== this.seen.compareId || (compare?.version ?? -1) !== this.seen.compare;
    if (!dataChanged && step === this.seen.step) return;
    const ms = store.measurements;
    const idx = store.measurementIndexAt(step);
    const at = store.layerAt(idx, this.layer);
    const steps = ms.map((m) => m.step);
    for (const [heat, col] of [[this.normHeat, this.normCol], [this.gradHeat, this.gradCol]] as const) {
      heat.cursorStep = step;
      if (dataChanged) {
        const src: HeatmapSource = { count: ms.length, revision: store.revision, column: (i) => col(ms[i]!, this.layer), step: (i) => ms[i]!.step, firstRow: col === this.normCol ? 1 : 0 };
        heat.update(src);
      } else heat.draw();
    }
    this.renderAtStep(at);
    for (const c of [this.ftle, this.kernel, this.saturation]) c.cursorX = ms[idx]?.step ?? null;
    if (dataChanged) this.renderOverTraining(store, steps, compare);
    else for (const c of [this.ftle, this.kernel, this.saturation]) c.redrawOverlays();
    this.badge.textContent = at ? `${at.regime} · λ₁ = ${fmt(at.ftle.mean[0])} · β = ${fmt(at.beta.mean)} at step ${ms[idx]!.step}` : 'no measurement yet';
    this.badge.dataset.regime = at?.regime ?? 'none';
    this.diagnosis.render(at);
    this.seen = { version: store.version, step, compareId: compare?.runId ?? '', compare: compare?.version ?? -1 };
  }

  private renderAtStep(l: LayerMeasurement | null): void {
    const T = l?.steps ?? 0;
    const t = Array.from({ length: T }, (_, i) => i + 1);
    const lnBeta = l ? ln(l.beta.mean) : NaN;
    this.product.setData(
      [
        { label: 'ln‖J_t⋯J_1‖ (product)', stroke: '#1f77b4', width: 2 },
        { label: 'Σ ln‖J_u‖ (bound)', stroke: '#ff7f0e', width: 2 },
        { label: 't·ln β', stroke: '#555', dash: [5, 4] },
      ],
      [t, P(l?.logProduct.mean ?? []), P(l?.logBound.mean ?? []), t.map((x) => plotValue(x * lnBeta))],
    );
    const g = l?.gradNorm;
    const t0 = Array.from({ length: g ? g.mean.length : 0 }, (_, i) => i);
    this.gradLine.setData(
      [
        { label: 'mean over probe', stroke: '#d62728', width: 2 },
        { label: 'min', stroke: '#d6272866', dash: [2, 3] },
        { label: 'max', stroke: '#d6272866', dash: [2, 3] },
      ],
      [t0, P(Array.from(g?.mean ?? [], ln)), P(Array.from(g?.min ?? [], ln)), P(Array.from(g?.max ?? [], ln))],
    );
    const gates = l?.gates;
    const series: SeriesSpec[] = [];
    const data: (number | null)[][] = [t];
    if (gates?.kind === 'lstm') {
      series.push({ label: 'forget f', stroke: '#2ca02c', width: 2 }, { label: 'input i', stroke: '#1f77b4' }, { label: 'output o', stroke: '#9467bd' }, { label: 'ln Π f (carousel)', stroke: '#8c564b', right: true, dash: [6, 3] });
      data.push(P(gates.forget.mean), P(gates.input.mean), P(gates.output.mean), P(gates.logCarousel.mean));
    } else if (gates?.kind === 'gru') {
      series.push({ label: 'update z', stroke: '#2ca02c', width: 2 }, { label: 'reset r', stroke: '#1f77b4' });
      data.push(P(gates.update.mean), P(gates.reset.mean));
    } else {
      series.push({ label: `no gates (${l?.kind ?? 'no measurement'})`, stroke: '#999' });
      data.push(t.map(() => null));
    }
    this.gates.setData(series, data);
  }

  private renderOverTraining(store: RunStore, steps: number[], compare: RunStore | null): void {
    const layers = store.measurements.map((m) => m.layers.find((x) => x.layer === this.layer) ?? null);
    const k = Math.min(8, layers.reduce((a, l) => Math.max(a, l?.ftle.mean.length ?? 0), 0));
    const series: SeriesSpec[] = Array.from({ length: k }, (_, i) => ({ label: `λ${i + 1}`, stroke: PALETTE[i]!, width: i === 0 ? 2.5 : 1 }));
    let data: (number | null)[][] = [steps, ...series.map((_, i) => layers.map((l) => plotValue(l?.ftle.mean[i])))];
    if (compare && k > 0) {
      const cl = compare.measurements.map((m) => m.layers.find((x) => x.layer === this.layer) ?? null);
      const joined = uPlot.join([data as uPlot.AlignedData, [compare.measurements.map((m) => m.step), cl.map((l) => plotValue(l?.ftle.mean[0]))]] as uPlot.AlignedData[]);
      data = joined as unknown as (number | null)[][];
      series.push({ label: `λ1 · ${compare.start?.name ?? compare.runId}`, stroke: '#000', dash: [6, 4], width: 2 });
    }
    this.ftle.setData(series, data);
    this.kernel.setData(
      [
        { label: '‖R‖₂', stroke: '#1f77b4', width: 2 },
        { label: 'ρ(R)', stroke: '#2ca02c', width: 2 },
        { label: 'mean_t ‖J_t‖', stroke: '#d62728', width: 2 },
        { label: 'β = max ‖J_t‖', stroke: '#d62728', dash: [4, 3] },
      ],
      [steps, layers.map((l) => plotValue(l?.recurrentKernel.norm)), layers.map((l) => plotValue(l?.recurrentKernel.spectralRadius)), layers.map((l) => plotValue(l ? mean(l.stepNorm.mean) : NaN)), layers.map((l) => plotValue(l?.beta.mean))],
    );
    const sat = layers.find((l) => l?.gates)?.gates;
    const names = sat ? Object.keys(sat.saturation) : [];
    this.saturation.setData(
      names.length ? names.map((n, i) => ({ label: n, stroke: PALETTE[i]! })) : [{ label: 'no gates', stroke: '#999' }],
      [steps, ...(names.length ? names.map((n) => layers.map((l) => plotValue(l?.gates ? (l.gates.saturation as Record<string, number>)[n] : null))) : [steps.map(() => null)])],
    );
  }
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length ? s / xs.length : NaN;
}
