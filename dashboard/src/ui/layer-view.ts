/**
 * One recurrent layer: its regime badges, its diagnosis, and its six panels
 * (one per measured quantity, each in its own file under layer-panels/):
 * ‖J_t‖ heatmap, product vs bound, gradient through time, Lyapunov
 * exponents, recurrent kernel, gates. `render` is called at most once per
 * frame and only does work when the run's store changed or the cursor moved.
 *
 * With a compared run, every panel shows its matching layer (matchLayer)
 * too: line charts overlay its series dotted (overlay.ts), heatmaps show its
 * map under this run's on one colour scale (heatmap-pair.ts). Charts at the
 * selected step use the compared run's measurement at or before that step.
 */
import type { LayerMeasurement } from '@gradscope/protocol';
import { matchLayer } from '../data/layer-match.js';
import { fmt } from '../data/numbers.js';
import type { RunStore } from '../data/run-store.js';
import { DiagnosisPanel } from './diagnosis-panel.js';
import type { ComparedLayer, OverTraining } from './layer-panels/columns.js';
import { GatesPanel } from './layer-panels/gates-panel.js';
import { GradientPanel } from './layer-panels/gradient-panel.js';
import { KernelPanel } from './layer-panels/kernel-panel.js';
import { LyapunovPanel } from './layer-panels/lyapunov-panel.js';
import { ProductBoundPanel } from './layer-panels/product-bound-panel.js';
import { StepNormPanel } from './layer-panels/step-norm-panel.js';
import { runLabel } from './overlay.js';

export class LayerView {
  readonly el: HTMLElement;
  private readonly stepNorm: StepNormPanel;
  private readonly product: ProductBoundPanel;
  private readonly gradient: GradientPanel;
  private readonly lyapunov: LyapunovPanel;
  private readonly kernel: KernelPanel;
  private readonly gates: GatesPanel;
  private readonly badge: HTMLElement;
  private readonly compareBadge: HTMLElement;
  private readonly diagnosis: DiagnosisPanel;
  /** Last drawn; the compare run's id matters too (equal versions of different runs). */
  private seen = { version: -1, step: -1, compareId: '', compare: -1 };

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

    // In the order they appear (the grid's order).
    this.stepNorm = new StepNormPanel(grid, layer, pickStep);
    this.product = new ProductBoundPanel(grid, layer);
    this.gradient = new GradientPanel(grid, layer, pickStep);
    this.lyapunov = new LyapunovPanel(grid, layer, pickStep);
    this.kernel = new KernelPanel(grid, layer, pickStep);
    this.gates = new GatesPanel(grid, layer, pickStep);
  }

  render(store: RunStore, step: number, compare: RunStore | null): void {
    const dataChanged = store.version !== this.seen.version || (compare?.runId ?? '') !== this.seen.compareId || (compare?.version ?? -1) !== this.seen.compare;
    if (!dataChanged && step === this.seen.step) return;
    const ms = store.measurements;
    const idx = store.measurementIndexAt(step);
    const at = store.layerAt(idx, this.layer);
    const other = compare ? this.comparedLayer(store, compare) : null;
    this.stepNorm.render(store, step, other, dataChanged);
    this.gradient.renderHeatmap(store, step, other, dataChanged);

    const cIdx = other ? other.run.measurementIndexAt(step) : -1;
    const cAt = other ? other.run.layerAt(cIdx, other.layer) : null;
    const otherAt = cAt && other ? { l: cAt, name: runLabel(other.run) } : null;
    this.product.renderAtStep(at, otherAt);
    this.gradient.renderAtStep(at, otherAt);
    this.gates.renderAtStep(at, otherAt);

    const overTraining = [this.lyapunov.chart, this.kernel.chart, this.gates.saturation];
    for (const c of overTraining) c.cursorX = ms[idx]?.step ?? null;
    if (dataChanged) {
      const series = (run: RunStore, name: string): OverTraining => ({
        steps: run.measurements.map((m) => m.step),
        layers: run.measurements.map((m) => m.layers.find((x) => x.layer === name) ?? null),
      });
      const mine = series(store, this.layer);
      const theirs = other ? series(other.run, other.layer) : null;
      const name = other ? runLabel(other.run) : undefined;
      this.lyapunov.renderOverTraining(mine, theirs, name);
      this.kernel.renderOverTraining(mine, theirs, name);
      this.gates.renderOverTraining(mine, theirs, name);
    } else for (const c of overTraining) c.redrawOverlays();

    this.renderBadges(at, ms[idx]?.step, compare, other, cAt, cIdx);
    this.diagnosis.render(at);
    this.seen = { version: store.version, step, compareId: compare?.runId ?? '', compare: compare?.version ?? -1 };
  }

  private renderBadges(at: LayerMeasurement | null, atStep: number | undefined, compare: RunStore | null, other: ComparedLayer | null, cAt: LayerMeasurement | null, cIdx: number): void {
    this.badge.textContent = at ? `${at.regime} · λ₁ = ${fmt(at.ftle.mean[0])} · β = ${fmt(at.beta.mean)} at step ${atStep}` : 'no measurement yet';
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
  }

  /** The compared run's layer the panels overlay, or null when it has none to match. */
  private comparedLayer(store: RunStore, compare: RunStore): ComparedLayer | null {
    const layer = matchLayer(this.layer, store.layerNames().indexOf(this.layer), compare.layerNames());
    return layer ? { run: compare, layer } : null;
  }
}
