/**
 * Model-wide panels: loss and metrics, the global gradient norm before and
 * after clipping (threshold line, a marker per clip event), and the alerts;
 * each with the compared run overlaid (its curves dotted, its alerts tagged),
 * and the two charts smoothed by one TensorBoard-style slider.
 */
import type { TrainStepEvent } from '@gradscope/protocol';
import { fmt, plotValue, positiveValue } from '../data/numbers.js';
import type { RunStore } from '../data/run-store.js';
import { HELP } from './help.js';
import { LineChart, type SeriesSpec } from './line-chart.js';
import { compared, joinRuns, runLabel, smoothed, type Columns } from './overlay.js';
import { panel } from './panel.js';
import { SmoothingControl } from './smoothing-control.js';

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
  private seen = { runId: '', version: -1, compareId: '', compare: -1, step: -1, smoothing: -1 };
  private readonly smoothing: SmoothingControl;

  constructor(parent: HTMLElement, private readonly pickStep: (step: number) => void, changed: () => void = () => {}) {
    this.smoothing = new SmoothingControl(parent, changed);
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
      (compare?.version ?? -1) !== this.seen.compare ||
      this.smoothing.weight !== this.seen.smoothing;
    if (!changed && step === this.seen.step) return;
    this.loss.cursorX = step;
    this.grad.cursorX = step;
    if (changed) {
      this.renderCurves(store, compare);
      this.renderAlerts(store, compare);
    } else {
      this.loss.redrawOverlays();
      this.grad.redrawOverlays();
    }
    this.seen = { runId: store.runId, version: store.version, compareId: compare?.runId ?? '', compare: compare?.version ?? -1, step, smoothing: this.smoothing.weight };
  }

  private renderCurves(store: RunStore, compare: RunStore | null): void {
    const w = this.smoothing.weight;
    const ts = store.trainSteps;
    const steps = ts.map((e) => e.step);
    const metricNames = [...new Set(ts.slice(-1).flatMap((e) => Object.keys(e.metrics)))].slice(0, METRIC_COLOURS.length);
    const lossSpecs: SeriesSpec[] = [{ label: 'loss', stroke: '#1f77b4', width: 2 }, ...metricNames.map((n, i) => ({ label: n, stroke: METRIC_COLOURS[i]!, right: true }))];
    const lossCols = (events: TrainStepEvent[]) => [events.map((e) => plotValue(e.loss)), ...metricNames.map((n) => events.map((e) => plotValue(e.metrics[n])))];
    this.loss.setData(...overlayRuns(lossSpecs, steps, lossCols(ts), compare, lossCols, w));

    const gSpecs: SeriesSpec[] = [
      { label: 'before clipping', stroke: '#d62728', width: 2 },
      { label: 'after clipping', stroke: '#1f77b4', dash: [5, 3], width: 1.5 },
    ];
    const gCols = (events: TrainStepEvent[]) => [events.map((e) => positiveValue(e.gradNormBefore)), events.map((e) => positiveValue(e.gradNormAfter))];
    const threshold = store.clipThreshold();
    this.grad.refLines = threshold != null ? [{ y: threshold, label: `clip threshold ${fmt(threshold)}`, stroke: '#d62728' }] : [];
    this.grad.markers = [...new Set(store.clips.map((c) => c.step))];
    this.grad.setData(...overlayRuns(gSpecs, steps, gCols(ts), compare, gCols, w));
    this.grad.el.dataset.clipMarkers = String(this.grad.markers.length);
  }

  private renderAlerts(store: RunStore, compare: RunStore | null): void {
    // Both runs' alerts, newest step first (the compared run's tagged with its
    // name), capped: a run that alerts every step should not build a 10,000-item DOM list.
    const tagged = (r: RunStore, of: string | null) => r.alerts.slice(-200).map((a) => ({ a, of }));
    const shown = [...tagged(store, null), ...(compare ? tagged(compare, runLabel(compare)) : [])].sort((x, y) => y.a.step - x.a.step || y.a.seq - x.a.seq).slice(0, 200);
    this.alerts.replaceChildren(
      ...shown.map(({ a, of }) => {
        const li = document.createElement('li');
        li.className = `alert ${a.severity}${of ? ' compared' : ''}`;
        const btn = document.createElement('button');
        btn.textContent = `step ${a.step}`;
        btn.onclick = () => this.pickStep(a.step);
        li.append(btn, `${of ? ` [${of}]` : ''} ${a.kind}: ${a.message}`);
        return li;
      }),
    );
    if (shown.length === 0) this.alerts.innerHTML = '<li class="none">no alerts</li>';
  }
}

/**
 * The chart's series for the shown run and, when there is one, the compared
 * run's twin of each (same columns computed from its own train steps), each
 * run smoothed with weight w on its own steps, then joined on training step.
 */
function overlayRuns(
  specs: SeriesSpec[],
  steps: number[],
  cols: Columns,
  compare: RunStore | null,
  colsOf: (events: TrainStepEvent[]) => Columns,
  w: number,
): [SeriesSpec[], Columns] {
  const mine = smoothed(specs, cols, w);
  if (!compare) return [mine.series, [steps, ...mine.cols]];
  const other = smoothed(specs.map((s) => compared(s, runLabel(compare))), colsOf(compare.trainSteps), w);
  return [[...mine.series, ...other.series], joinRuns([steps, ...mine.cols], [compare.trainSteps.map((e) => e.step), ...other.cols])];
}
