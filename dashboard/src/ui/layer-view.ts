/**
 * The six panels of one recurrent layer (one per measured quantity): ‖J_t‖
 * heatmap, product vs bound, gradient through time, Lyapunov exponents,
 * recurrent kernel, gates. `render` is called at most once per frame and
 * only does work when the run's store changed or the cursor moved.
 *
 * With a compared run, every panel shows its matching layer (matchLayer)
 * too: line charts overlay its series dotted (overlay.ts), heatmaps show its
 * map under this run's on one colour scale (heatmap-pair.ts). Charts at the
 * selected step use the compared run's measurement at or before that step.
 */
import type { LayerMeasurement, MeasurementEvent } from '@gradscope/protocol';
import { matchLayer } from '../data/layer-match.js';
import { fmt, ln, plotValue } from '../data/numbers.js';
import type { RunStore } from '../data/run-store.js';
import { normLegend, type HeatmapSource } from './heatmap.js';
import { HeatmapPair } from './heatmap-pair.js';
import { DiagnosisPanel } from './diagnosis-panel.js';
import { HELP } from './help.js';
import { LineChart, type SeriesSpec } from './line-chart.js';
import { compared, joinRuns, runLabel, type Columns } from './overlay.js';
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
  private readonly normHeat: HeatmapPair;
  private readonly gradHeat: HeatmapPair;
  private readonly product: LineChart;
  private readonly gradLine: LineChart;
  private readonly ftle: LineChart;
  private readonly kernel: LineChart;
  private readonly gates: LineChart;
  private readonly saturation: LineChart;
  private readonly badge: HTMLElement;
  private readonly compareBadge: HTMLElement;
  private readonly diagnosis: DiagnosisPanel;
  /** Last drawn; the compare run's id matters too (equal versions of different runs). */
  private seen = { version: -1, step: -1, compareId: '', compare: -1 };
  private readonly normCol = cached(lnNorms);
  private readonly gradCol = cached(lnGradRatio);
  /** The compared run's columns, cached per compared run and layer (rebuilt when either changes). */
  private cmpCols = { key: '', norm: cached(lnNorms), grad: cached(lnGradRatio) };

  constructor(parent: HTMLElement, readonly layer: string, pickStep: (step: number) => void) {
    this.el = document.createElement('div');
    this.el.className = 'layer';
    this.el.dataset.layer = layer;
    const head = document.createElement('h2');
    head.textContent = `layer ${layer} `;
    this.badge = document.createElement('span');
    this.badge.className = 'regime';
    head.appendChild(this.badge);
    this.compareBadge = document.createElement('span');
    this.compareBadge.className = 'regime compared';
    this.compareBadge.hidden = true;
    head.appendChild(this.compareBadge);
    this.el.appendChild(head);
    this.diagnosis = new DiagnosisPanel(this.el, layer);
    const grid = document.createElement('div');
    grid.className = 'grid';
    this.el.appendChild(grid);
    parent.appendChild(this.el);

    const p1 = panel(grid, '1 · ln‖J_t‖ over training (heatmap)', HELP.heatmap, `${layer}-stepnorm`, () => this.normHeat.canvases);
    this.normHeat = new HeatmapPair(p1.body, { yLabel: 'time step t', legendLabel: normLegend('‖J‖'), onPickStep: pickStep });
    const p2 = panel(grid, '2 · product vs bound at the selected step', HELP.product, `${layer}-product`, () => [this.product.canvas!]);
    this.product = new LineChart(p2.body, { xLabel: 'time step t', yLabel: 'ln norm', band: { upper: 1, lower: 0, fill: 'rgba(255,127,14,0.15)' } });
    const p3 = panel(grid, '3 · gradient through time', HELP.gradient, `${layer}-gradient`, () => [this.gradLine.canvas!, ...this.gradHeat.canvases]);
    this.gradLine = new LineChart(p3.body, { xLabel: 'time step t', yLabel: 'ln ‖∂L/∂s_t‖', height: 150 });
    this.gradHeat = new HeatmapPair(p3.body, { yLabel: 't', legendLabel: (v) => `× ${fmt(Math.exp(v), 2).replace('e+', 'e')}`, height: 140, onPickStep: pickStep });
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
    const other = compare ? this.comparedLayer(store, compare) : null;
    for (const [heat, col, cmpCol] of [[this.normHeat, this.normCol, this.cmpCols.norm], [this.gradHeat, this.gradCol, this.cmpCols.grad]] as const) {
      heat.cursorStep = step;
      if (dataChanged) {
        const firstRow = col === this.normCol ? 1 : 0;
        const src: HeatmapSource = { count: ms.length, revision: store.revision, column: (i) => col(ms[i]!, this.layer), step: (i) => ms[i]!.step, firstRow };
        const cms = other?.run.measurements ?? [];
        heat.update(
          src,
          other && {
            key: this.cmpCols.key,
            src: { count: cms.length, revision: other.run.revision, column: (i) => cmpCol(cms[i]!, other.layer), step: (i) => cms[i]!.step, firstRow },
            caption: `compared: ${runLabel(other.run)} · layer ${other.layer}`,
            shownCaption: `${runLabel(store)} · layer ${this.layer}`,
          },
        );
      } else heat.draw();
    }
    const cIdx = other ? other.run.measurementIndexAt(step) : -1;
    const cAt = other ? other.run.layerAt(cIdx, other.layer) : null;
    this.renderAtStep(at, cAt && other ? { l: cAt, name: runLabel(other.run) } : null);
    for (const c of [this.ftle, this.kernel, this.saturation]) c.cursorX = ms[idx]?.step ?? null;
    if (dataChanged) this.renderOverTraining(store, steps, other);
    else for (const c of [this.ftle, this.kernel, this.saturation]) c.redrawOverlays();
    this.badge.textContent = at ? `${at.regime} · λ₁ = ${fmt(at.ftle.mean[0])} · β = ${fmt(at.beta.mean)} at step ${ms[idx]!.step}` : 'no measurement yet';
    this.badge.dataset.regime = at?.regime ?? 'none';
    this.compareBadge.hidden = !compare;
    if (compare) {
      this.compareBadge.textContent = !other
        ? `no layer to compare in ${runLabel(compare)}`
        : cAt
          ? `compared: ${runLabel(other.run)} · ${other.layer}: ${cAt.regime} · λ₁ = ${fmt(cAt.ftle.mean[0])} · β = ${fmt(cAt.beta.mean)} at step ${other.run.measurements[cIdx]!.step}`
          : `compared: ${runLabel(other.run)} · ${other.layer}: no measurement yet`;
      this.compareBadge.dataset.regime = cAt?.regime ?? 'none';
    }
    this.diagnosis.render(at);
    this.seen = { version: store.version, step, compareId: compare?.runId ?? '', compare: compare?.version ?? -1 };
  }

  /** The compared run's layer this panel overlays, or null when it has none to match. */
  private comparedLayer(store: RunStore, compare: RunStore): { run: RunStore; layer: string } | null {
    const layer = matchLayer(this.layer, store.layerNames().indexOf(this.layer), compare.layerNames());
    if (!layer) return null;
    const key = `${compare.runId}\n${layer}`;
    if (key !== this.cmpCols.key) this.cmpCols = { key, norm: cached(lnNorms), grad: cached(lnGradRatio) };
    return { run: compare, layer };
  }

  private renderAtStep(l: LayerMeasurement | null, other: { l: LayerMeasurement; name: string } | null): void {
    const t = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);
    const productSpecs: SeriesSpec[] = [
      { label: 'ln‖J_t⋯J_1‖ (product)', stroke: '#1f77b4', width: 2 },
      { label: 'Σ ln‖J_u‖ (bound)', stroke: '#ff7f0e', width: 2 },
      { label: 't·ln β', stroke: '#555', dash: [5, 4] },
    ];
    const productCols = (m: LayerMeasurement | null): Columns => {
      const x = t(m?.steps ?? 0);
      const lnBeta = m ? ln(m.beta.mean) : NaN;
      return [x, P(m?.logProduct.mean ?? []), P(m?.logBound.mean ?? []), x.map((v) => plotValue(v * lnBeta))];
    };
    this.product.setData(...withOther(productSpecs, productCols(l), other && productCols(other.l), other?.name));

    // The compared run's mean only: its min/max band would hide this run's.
    const gradSpecs: SeriesSpec[] = [
      { label: 'mean over probe', stroke: '#d62728', width: 2 },
      { label: 'min', stroke: '#d6272866', dash: [2, 3] },
      { label: 'max', stroke: '#d6272866', dash: [2, 3] },
    ];
    const gradCols = (m: LayerMeasurement | null, all: boolean): Columns => {
      const g = m?.gradNorm;
      const cols = [t(g ? g.mean.length : 0, 0), P(Array.from(g?.mean ?? [], ln))];
      return all ? [...cols, P(Array.from(g?.min ?? [], ln)), P(Array.from(g?.max ?? [], ln))] : cols;
    };
    this.gradLine.setData(...withOther(gradSpecs, gradCols(l, true), other && gradCols(other.l, false), other?.name, 1));

    const mine = gateSeries(l);
    // A compared cell without gates (SimpleRNN) has nothing to overlay here; its badge says what it is.
    const theirs = other && other.l.gates ? gateSeries(other.l) : null;
    const series = [...mine.specs, ...(theirs && other ? theirs.specs.map((s) => compared(s, other.name)) : [])];
    this.gates.setData(series, theirs ? joinRuns(mine.cols, theirs.cols) : mine.cols);
  }

  private renderOverTraining(store: RunStore, steps: number[], other: { run: RunStore; layer: string } | null): void {
    const layersOf = (run: RunStore, name: string) => run.measurements.map((m) => m.layers.find((x) => x.layer === name) ?? null);
    const layers = layersOf(store, this.layer);
    const cLayers = other ? layersOf(other.run, other.layer) : null;
    const cSteps = other ? other.run.measurements.map((m) => m.step) : [];
    const name = other ? runLabel(other.run) : undefined;

    const k = (ls: (LayerMeasurement | null)[]) => Math.min(8, ls.reduce((a, l) => Math.max(a, l?.ftle.mean.length ?? 0), 0));
    const ftleSpecs = (n: number): SeriesSpec[] => Array.from({ length: n }, (_, i) => ({ label: `λ${i + 1}`, stroke: PALETTE[i]!, width: i === 0 ? 2.5 : 1 }));
    const ftleCols = (ls: (LayerMeasurement | null)[], n: number) => Array.from({ length: n }, (_, i) => ls.map((l) => plotValue(l?.ftle.mean[i])));
    const kMine = k(layers);
    const kTheirs = cLayers ? k(cLayers) : 0;
    this.ftle.setData(
      [...ftleSpecs(kMine), ...(name ? ftleSpecs(kTheirs).map((s) => compared(s, name)) : [])],
      cLayers ? joinRuns([steps, ...ftleCols(layers, kMine)], [cSteps, ...ftleCols(cLayers, kTheirs)]) : [steps, ...ftleCols(layers, kMine)],
    );

    const kernelSpecs: SeriesSpec[] = [
      { label: '‖R‖₂', stroke: '#1f77b4', width: 2 },
      { label: 'ρ(R)', stroke: '#2ca02c', width: 2 },
      { label: 'mean_t ‖J_t‖', stroke: '#d62728', width: 2 },
      { label: 'β = max ‖J_t‖', stroke: '#d62728', dash: [4, 3] },
    ];
    const kernelCols = (x: number[], ls: (LayerMeasurement | null)[]): Columns => [
      x,
      ls.map((l) => plotValue(l?.recurrentKernel.norm)),
      ls.map((l) => plotValue(l?.recurrentKernel.spectralRadius)),
      ls.map((l) => plotValue(l ? mean(l.stepNorm.mean) : NaN)),
      ls.map((l) => plotValue(l?.beta.mean)),
    ];
    this.kernel.setData(...withOther(kernelSpecs, kernelCols(steps, layers), cLayers && kernelCols(cSteps, cLayers), name));

    const mine = saturationSeries(steps, layers);
    const theirs = cLayers && cLayers.some((l) => l?.gates) ? saturationSeries(cSteps, cLayers) : null;
    this.saturation.setData(
      [...mine.specs, ...(theirs && name ? theirs.specs.map((s) => compared(s, name)) : [])],
      theirs ? joinRuns(mine.cols, theirs.cols) : mine.cols,
    );
  }
}

/**
 * This run's series plus, when there is a compared run, its twins of the
 * first `count` series (all by default), joined on x.
 */
function withOther(specs: SeriesSpec[], cols: Columns, other: Columns | null, name: string | undefined, count = specs.length): [SeriesSpec[], Columns] {
  if (!other || name === undefined) return [specs, cols];
  return [[...specs, ...specs.slice(0, count).map((s) => compared(s, name))], joinRuns(cols, other)];
}

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
function saturationSeries(steps: number[], layers: (LayerMeasurement | null)[]): { specs: SeriesSpec[]; cols: Columns } {
  const sat = layers.find((l) => l?.gates)?.gates;
  const names = sat ? Object.keys(sat.saturation) : [];
  if (!names.length) return { specs: [{ label: 'no gates', stroke: '#999' }], cols: [steps, steps.map(() => null)] };
  return {
    specs: names.map((n, i) => ({ label: n, stroke: PALETTE[i]! })),
    cols: [steps, ...names.map((n) => layers.map((l) => plotValue(l?.gates ? (l.gates.saturation as Record<string, number>)[n] : null)))],
  };
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length ? s / xs.length : NaN;
}
