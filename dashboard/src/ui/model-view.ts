/**
 * Model-wide panels: loss and metrics, the global gradient norm before and
 * after clipping (threshold line, a marker per clip event), and the alerts.
 */
import uPlot from 'uplot';
import { fmt, plotValue, positiveValue } from '../data/numbers.js';
import type { RunStore } from '../data/run-store.js';
import { HELP } from './help.js';
import { LineChart, type SeriesSpec } from './line-chart.js';
import { panel } from './panel.js';

const METRIC_COLOURS = ['#2ca02c', '#9467bd', '#8c564b', '#e377c2'];

export class ModelView {
  readonly el: HTMLElement;
  private readonly loss: LineChart;
  private readonly grad: LineChart;
  private readonly alerts: HTMLOListElement;
  /**
   * What was last drawn. The run ids matter as much as the versions: two
   * finished runs with as many events have the same version, and switching
   * between them left the first run's curves and alerts on screen.
   */
  private seen = { runId: '', version: -1, compareId: '', compare: -1, step: -1 };

  constructor(parent: HTMLElement, private readonly pickStep: (step: number) => void) {
    this.el = document.createElement('div');
    this.el.className = 'grid model';
    parent.appendChild(this.el);
    const p1 = panel(this.el, 'loss and metrics', HELP.loss, 'loss', () => [this.loss.canvas!]);
    this.loss = new LineChart(p1.body, { xLabel: 'training step', yLabel: 'loss', rightLabel: 'metric', onPickX: pickStep });
    const p2 = panel(this.el, 'global gradient norm and clipping', HELP.gradNorm, 'gradnorm', () => [this.grad.canvas!]);
    this.grad = new LineChart(p2.body, { xLabel: 'training step', yLabel: '‖∇‖ (log)', logY: true, onPickX: pickStep });
    const p3 = panel(this.el, 'alerts', HELP.alerts, 'alerts', () => []);
    this.alerts = document.createElement('ol');
    this.alerts.className = 'alerts';
    p3.body.appendChild(this.alerts);
  }

  /** Number of clip markers drawn (for the browser test). */
  get clipMarkers(): number {
    return this.grad.markers.length;
  }

  render(store: RunStore, step: number, compare: RunStore | null): void {
    const changed =
      store.runId !== this.seen.runId ||
      store.version !== this.seen.version ||
      (compare?.runId ?? '') !== this.seen.compareId ||
      (compare?.version ?? -1) !== this.seen.compare;
    if (!changed && step === this.seen.step) return;
    this.loss.cursorX = step;
    this.grad.cursorX = step;
    if (changed) {
      this.renderCurves(store, compare);
      this.renderAlerts(store);
    } else {
      this.loss.redrawOverlays();
      this.grad.redrawOverlays();
    }
    this.seen = { runId: store.runId, version: store.version, compareId: compare?.runId ?? '', compare: compare?.version ?? -1, step };
  }

  private renderCurves(store: RunStore, compare: RunStore | null): void {
    const ts = store.trainSteps;
    const steps = ts.map((e) => e.step);
    const metricNames = [...new Set(ts.slice(-1).flatMap((e) => Object.keys(e.metrics)))].slice(0, METRIC_COLOURS.length);
    const series: SeriesSpec[] = [{ label: 'loss', stroke: '#1f77b4', width: 2 }, ...metricNames.map((n, i) => ({ label: n, stroke: METRIC_COLOURS[i]!, right: true }))];
    let data: (number | null)[][] = [steps, ts.map((e) => plotValue(e.loss)), ...metricNames.map((n) => ts.map((e) => plotValue(e.metrics[n])))];
    if (compare) {
      const other: uPlot.AlignedData = [compare.trainSteps.map((e) => e.step), compare.trainSteps.map((e) => plotValue(e.loss))];
      data = uPlot.join([data as uPlot.AlignedData, other]) as unknown as (number | null)[][];
      series.push({ label: `loss · ${compare.start?.name ?? compare.runId}`, stroke: '#000', dash: [6, 4], width: 2 });
    }
    this.loss.setData(series, data);

    const gSeries: SeriesSpec[] = [
      { label: 'before clipping', stroke: '#d62728', width: 2 },
      { label: 'after clipping', stroke: '#1f77b4', dash: [5, 3], width: 1.5 },
    ];
    let gData: (number | null)[][] = [steps, ts.map((e) => positiveValue(e.gradNormBefore)), ts.map((e) => positiveValue(e.gradNormAfter))];
    if (compare) {
      const other: uPlot.AlignedData = [compare.trainSteps.map((e) => e.step), compare.trainSteps.map((e) => positiveValue(e.gradNormBefore))];
      gData = uPlot.join([gData as uPlot.AlignedData, other]) as unknown as (number | null)[][];
      gSeries.push({ label: `before · ${compare.start?.name ?? compare.runId}`, stroke: '#000', dash: [6, 4] });
    }
    const threshold = store.clipThreshold();
    this.grad.refLines = threshold != null ? [{ y: threshold, label: `clip threshold ${fmt(threshold)}`, stroke: '#d62728' }] : [];
    this.grad.markers = [...new Set(store.clips.map((c) => c.step))];
    this.grad.setData(gSeries, gData);
    this.grad.el.dataset.clipMarkers = String(this.grad.markers.length);
  }

  private renderAlerts(store: RunStore): void {
    // Newest first, capped: a run that alerts every step should not build a 10,000-item DOM list.
    const shown = store.alerts.slice(-200).reverse();
    this.alerts.replaceChildren(
      ...shown.map((a) => {
        const li = document.createElement('li');
        li.className = `alert ${a.severity}`;
        const btn = document.createElement('button');
        btn.textContent = `step ${a.step}`;
        btn.onclick = () => this.pickStep(a.step);
        li.append(btn, ` ${a.kind}: ${a.message}`);
        return li;
      }),
    );
    if (shown.length === 0) this.alerts.innerHTML = '<li class="none">no alerts</li>';
  }
}
